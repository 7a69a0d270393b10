"""A screening records that every checklist item was asked and what the patient takes: a form never filled
in is refused, never screened "Eligible". Through the intake page (HTTP) and the API."""

from __future__ import annotations

import html
import json

import pytest

from ketacare.intake.models import MedicationList, ScreeningAssessment
from ketacare.intake.tests.conftest import api_url, intake_url
from tests.support.pathway import medicines_on_file

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


# --- the intake page ----------------------------------------------------------------------------------------


def test_running_the_screening_on_a_blank_form_is_refused_naming_both_missing_steps(personas, client_for):
    response = client_for("clinician_a").post(intake_url("screening", personas.a1), {})
    assert response.status_code == 422
    text = _text(response)
    assert "Screening result" not in text and "Result: Eligible" not in text
    # Both at once: the tick under its own field, the medicines above the form.
    assert "Required: ask the patient about every item on the checklist, then tick to confirm" in text
    assert "No medication list is recorded" in text and "Takes no medicines" in text
    # A tick in the medications form counts once that form is saved: the refusal says so.
    assert "press “Save medications” before running the screening" in text
    assert not ScreeningAssessment.objects.exists()


def test_over_htmx_the_refusal_stays_in_the_screening_section(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("screening", personas.a1), {"conditions": []}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = _text(response)
    assert text.lstrip().startswith('<section id="intake-screening"')
    assert "ask the patient about every item" in text and "No medication list is recorded" in text
    assert not ScreeningAssessment.objects.exists()


def test_the_tick_alone_is_not_enough_without_a_medication_list(personas, client_for):
    response = client_for("clinician_a").post(intake_url("screening", personas.a1), {"all_items_asked": "on"})
    assert response.status_code == 422
    text = _text(response)
    assert "No medication list is recorded" in text
    assert "Required: ask the patient" not in text
    assert not ScreeningAssessment.objects.exists()


def test_a_list_saved_empty_before_the_tick_existed_does_not_count(personas, client_for):
    medicines_on_file(personas.a1, personas.clinician_a)
    MedicationList.objects.update(no_medicines=False)  # as saved before the tick was asked for
    response = client_for("clinician_a").post(intake_url("screening", personas.a1), {"all_items_asked": "on"})
    assert response.status_code == 422
    assert "is empty and not marked “Takes no medicines”" in _text(response)
    assert not ScreeningAssessment.objects.exists()


def test_the_medication_list_names_medicines_or_says_there_are_none(personas, client_for):
    client = client_for("clinician_a")
    blank = client.post(intake_url("medications", personas.a1), {"medications": ""})
    assert blank.status_code == 422
    assert "Empty: write the patient's current medicines, one per line, or tick" in _text(blank)
    both = client.post(
        intake_url("medications", personas.a1), {"medications": "sertraline 50 mg", "no_medicines": "on"}
    )
    assert both.status_code == 422
    assert "“Takes no medicines” is ticked but the list names medicines" in _text(both)
    assert not MedicationList.objects.exists()
    none = client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    assert none.status_code == 302
    assert MedicationList.objects.get().no_medicines is True
    assert "The patient takes no medicines." in _text(client.get(intake_url("page", personas.a1)))


def test_a_screening_with_the_tick_and_a_list_records_that_every_item_was_asked(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    response = client.post(
        intake_url("screening", personas.a1), {"conditions": ["psychosis"], "all_items_asked": "on"}
    )
    assert response.status_code == 302
    screening = ScreeningAssessment.objects.get()
    assert screening.all_items_asked is True and screening.no_medicines is True
    assert screening.answers["psychosis"] is True and screening.answers["pregnancy"] is False
    page = _text(client.get(intake_url("page", personas.a1)))
    assert "asked the patient about every item; unticked items are the patient's “no”" in page
    assert 'data-testid="not-attested"' not in page


def test_a_screening_without_the_record_of_every_item_asked_says_so(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    client.post(intake_url("screening", personas.a1), {"all_items_asked": "on"})
    ScreeningAssessment.objects.update(all_items_asked=False)  # as recorded before the tick was asked for
    page = _text(client.get(intake_url("page", personas.a1)))
    assert "does not record that the patient was asked about every item: screen again" in page


# --- the API ------------------------------------------------------------------------------------------------


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_refuses_a_screening_without_the_tick_or_a_list_listing_both(personas, client_for):
    response = _post(
        client_for("clinician_a"),
        api_url(personas.a1, "/screening"),
        {"conditions": [], "all_items_asked": False},
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["all_items_asked", "medications"]
    assert not ScreeningAssessment.objects.exists()


def test_the_api_needs_the_tick_in_the_body(personas, client_for):
    medicines_on_file(personas.a1, personas.clinician_a)
    response = _post(client_for("clinician_a"), api_url(personas.a1, "/screening"), {"conditions": []})
    assert response.status_code == 422
    assert "all_items_asked" in json.dumps(response.json()["errors"])
    assert not ScreeningAssessment.objects.exists()


def test_the_api_refuses_an_empty_medication_list_without_no_medicines(personas, client_for):
    client = client_for("clinician_a")
    response = _post(client, api_url(personas.a1, "/medications"), {"medications": []})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["medications"]
    assert not MedicationList.objects.exists()
    saved = _post(client, api_url(personas.a1, "/medications"), {"medications": [], "no_medicines": True})
    assert saved.status_code == 201 and saved.json()["no_medicines"] is True


def test_the_openapi_document_describes_the_new_fields(personas, client_for):
    schema = client_for("anonymous").get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    screening = paths["/api/v1/patients/{patient_id}/intake/screening"]["post"]["requestBody"]
    body = screening["content"]["application/json"]["schema"]
    assert "all_items_asked" in body["properties"] and "all_items_asked" in body["required"]
    medications = paths["/api/v1/patients/{patient_id}/intake/medications"]["post"]["requestBody"]
    assert "no_medicines" in medications["content"]["application/json"]["schema"]["properties"]
