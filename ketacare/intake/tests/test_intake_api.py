"""The intake API: summary read, medicines and screening in -> the core's flags out, 422 naming the field."""

from __future__ import annotations

import json

import pytest

from ketacare.intake.models import MedicationList, ScreeningAssessment
from ketacare.intake.services import record_weight
from ketacare.intake.tests.conftest import api_url
from tests.support.pathway import medicines_on_file

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_posting_medications_returns_the_interaction_flags(personas, client_for):
    response = _post(
        client_for("clinician_a"),
        api_url(personas.a1, "/medications"),
        {"medications": ["lorazepam 1 mg", "Nardil 15 mg", "lamotrigine 100 mg"]},
    )
    assert response.status_code == 201
    body = response.json()
    assert {flag["id"]: flag["level"] for flag in body["flags"]} == {
        "benzodiazepines": "precaution",
        "maois": "precaution",
        "lamotrigine": "note",
    }
    assert set(body) >= {
        "public_id",
        "recorded_at",
        "medications",
        "drug_classes",
        "unrecognised_medications",
    }


def test_posting_screening_returns_eligibility_and_reasons(personas, client_for):
    client = client_for("clinician_a")
    _post(client, api_url(personas.a1, "/medications"), {"medications": ["methylphenidate 10 mg"]})
    response = _post(
        client,
        api_url(personas.a1, "/screening"),
        {"conditions": ["intracerebral_hemorrhage_history"], "all_items_asked": True},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["eligibility"] == "not_eligible"
    assert [r["id"] for r in body["reasons"]] == ["intracerebral_hemorrhage_history", "psychostimulants"]
    assert body["decision"] == "" and body["decided_by"] is None


@pytest.mark.parametrize(
    ("tail", "body", "field"),
    [
        ("/medications", {"medications": ["x"], "drug_classes": ["antibiotics"]}, "drug_classes"),
        ("/medications", {"drug_classes": []}, "medications"),
        ("/medications", {"medications": "lorazepam"}, "medications"),
        ("/screening", {"conditions": ["headache"], "all_items_asked": True}, "conditions"),
        ("/screening", {"all_items_asked": True}, "conditions"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(personas, client_for, tail, body, field):
    response = _post(client_for("clinician_a"), api_url(personas.a1, tail), body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not MedicationList.objects.exists() and not ScreeningAssessment.objects.exists()


def test_a_body_that_is_not_json_is_a_422(personas, client_for):
    response = client_for("clinician_a").post(
        api_url(personas.a1, "/screening"), "{not json", content_type="application/json"
    )
    assert response.status_code == 422


def test_another_clinics_patient_is_a_404_whatever_the_body(personas, client_for):
    client = client_for("clinician_a")
    assert _post(client, api_url(personas.b1, "/screening"), {"conditions": ["headache"]}).status_code == 404
    assert _post(client, api_url(personas.b1, "/screening"), {"conditions": []}).status_code == 404
    assert client.get(api_url(personas.b1)).status_code == 404
    assert not ScreeningAssessment.objects.exists()


def test_a_patient_cannot_read_or_write_their_own_intake_through_the_api(personas, client_for):
    client = client_for("a1")
    assert client.get(api_url(personas.a1)).status_code == 404
    assert _post(client, api_url(personas.a1, "/screening"), {"conditions": []}).status_code == 404


def test_anonymous_gets_401(personas, client_for):
    assert client_for("anonymous").get(api_url(personas.a1)).status_code == 401


def test_server_owned_fields_cannot_be_written(personas, client_for):
    medicines_on_file(personas.a1, personas.clinician_a)
    response = _post(
        client_for("clinician_a"),
        api_url(personas.a1, "/screening"),
        {
            "conditions": ["arteriovenous_malformation"],
            "all_items_asked": True,
            "eligibility": "eligible",
            "decision": "eligible",
        },
    )
    assert response.status_code == 201
    assert response.json()["eligibility"] == "not_eligible" and response.json()["decision"] == ""


def test_the_summary_lists_the_current_records(personas, client_for):
    client = client_for("clinician_a")
    record_weight(patient=personas.a1, user=personas.clinician_a, weight_kg=80)
    _post(client, api_url(personas.a1, "/medications"), {"medications": [], "no_medicines": True})
    _post(client, api_url(personas.a1, "/screening"), {"conditions": [], "all_items_asked": True})
    body = client.get(api_url(personas.a1)).json()
    assert body["patient_public_id"] == str(personas.a1.public_id)
    assert [w["weight_kg"] for w in body["weights"]] == [80.0]
    assert body["screening"]["eligibility"] == "eligible"
    assert body["screening"]["all_items_asked"] is True and body["screening"]["no_medicines"] is True
    assert body["medication_list"]["no_medicines"] is True
    assert body["intake"] is None and body["consents"] == [] and body["baselines"] == []


def test_the_openapi_document_describes_the_json_bodies(personas, client_for):
    schema = client_for("anonymous").get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/patients/{patient_id}/intake/medications"]["post"]["requestBody"]
    assert "medications" in body["content"]["application/json"]["schema"]["properties"]


def test_a_nul_character_or_an_oversized_entry_is_a_422_and_writes_nothing(personas, client_for):
    client = client_for("clinician_a")
    for medications in (["lorazepam\x00"], ["x" * 201], ["x"] * 41):
        response = _post(client, api_url(personas.a1, "/medications"), {"medications": medications})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"].startswith("medications")
    assert not MedicationList.objects.exists()


def test_the_same_schema_accepts_a_form_body(personas, client_for):
    response = client_for("clinician_a").post(
        api_url(personas.a1, "/medications"), {"medications": ["zolpidem 10 mg"]}
    )
    assert response.status_code == 201
    assert [flag["id"] for flag in response.json()["flags"]] == ["sedative_hypnotics"]
