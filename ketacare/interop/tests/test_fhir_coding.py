"""The FHIR export's coding (docs/decisions/0019): codes an EHR expects, stable ids, profiles, a re-importable transaction.

Every Bundle is checked by two validators: fhir.resources (R4B models, what the product uses) and
fhirclient in strict mode (independent of the product).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.core.instruments import to_fhir_questionnaire
from ketacare.interop.exports import fhir_bundle, validate_bundle
from tests.support.fhir import make_care_records, make_history, strict_validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(personas: Any) -> dict[str, Any]:
    from ketacare.intake.services import record_intake

    personas.a1.sex = "unknown"
    personas.a1.save(update_fields=["sex"])
    record_intake(patient=personas.a1, user=personas.clinician_a, sex="female", height_cm=170, indications=[])
    make_history(personas.a1, personas.clinician_a)
    result = fhir_bundle(personas.a1, now=timezone.now())
    validate_bundle(result)
    strict_validate(result)
    return result


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(resource: dict[str, Any]) -> list[str]:
    return [c["code"] for c in resource.get("code", {}).get("coding", [])]


def test_the_export_is_a_transaction_of_conditional_creates_on_stable_identifiers(
    bundle: dict[str, Any],
) -> None:
    assert bundle["type"] == "transaction"
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        assert resource["id"], resource["resourceType"]
        assert resource["meta"]["profile"], resource["resourceType"]
        assert request["method"] == "POST" and request["url"] == resource["resourceType"]
        if resource["resourceType"] == "Questionnaire":
            assert request["ifNoneExist"] == f"url={resource['url']}&version={resource['version']}"
        else:
            identifiers = resource["identifier"]
            identifiers = identifiers if isinstance(identifiers, list) else [identifiers]
            assert request["ifNoneExist"] == f"identifier=urn:ietf:rfc:3986|{identifiers[0]['value']}"
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"


def test_every_reference_resolves_inside_the_bundle(bundle: dict[str, Any]) -> None:
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    found = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                found.append(value["reference"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(bundle["entry"])
    assert found and set(found) <= full_urls


def test_a_second_export_keeps_every_resource_id(personas: Any, bundle: dict[str, Any]) -> None:
    again = fhir_bundle(personas.a1, now=timezone.now())
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
    assert again["identifier"] != bundle["identifier"]  # each file is its own Bundle


def test_patient_has_gender_from_intake_sex_and_a_us_core_profile(bundle: dict[str, Any]) -> None:
    (patient,) = _resources(bundle, "Patient")
    assert patient["gender"] == "female"
    assert patient["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]
    assert patient["name"][0]["family"] and patient["name"][0]["given"]


def test_spo2_carries_both_loinc_codes_of_us_core_pulse_oximetry(bundle: dict[str, Any]) -> None:
    spo2 = [o for o in _resources(bundle, "Observation") if "2708-6" in _codes(o)]
    assert len(spo2) == 1
    assert _codes(spo2[0]) == ["2708-6", "59408-5"]
    assert spo2[0]["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-pulse-oximetry"
    ]
    assert spo2[0]["valueQuantity"] == {
        "value": 97,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }


def test_administrations_carry_rxnorm_and_snomed_routes(bundle: dict[str, Any]) -> None:
    by_route = {
        a["dosage"]["route"]["coding"][0]["code"]: a["medicationCodeableConcept"]["coding"][0]
        for a in _resources(bundle, "MedicationAdministration")
    }
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert by_route["47625008"] == {"system": rxnorm, "code": "6130", "display": "ketamine"}  # IV
    assert by_route["46713006"] == {"system": rxnorm, "code": "2201623", "display": "esketamine Nasal Spray"}


def test_adverse_events_have_a_category_and_a_suspect_administration(bundle: dict[str, Any]) -> None:
    administrations = {f"urn:uuid:{a['id']}" for a in _resources(bundle, "MedicationAdministration")}
    events = _resources(bundle, "AdverseEvent")
    assert {e["event"]["text"] for e in events} == {"Vomited once", "Feeling sick (nausea)"}
    for event in events:
        assert event["category"][0]["coding"][0]["code"]
        assert event["suspectEntity"][0]["instance"]["reference"] in administrations


def test_mood_is_a_coded_survey_observation(bundle: dict[str, Any]) -> None:
    (mood,) = [o for o in _resources(bundle, "Observation") if "self-rated-mood-0-10" in _codes(o)]
    assert mood["category"][0]["coding"][0]["code"] == "survey"
    assert mood["valueInteger"] == 7


def test_answers_are_coded_as_the_served_questionnaire_defines(bundle: dict[str, Any]) -> None:
    (questionnaire,) = _resources(bundle, "Questionnaire")
    served = to_fhir_questionnaire("phq9")
    assert questionnaire["url"] == served["url"]
    options = {
        item["linkId"]: [o["valueCoding"] for o in item.get("answerOption", [])] for item in served["item"]
    }
    responses = _resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 2
    for response in responses:
        assert response["questionnaire"] == f"{served['url']}|{served['version']}"
        for item in response["item"]:
            assert item["answer"][0]["valueCoding"] in options[item["linkId"]]
    totals = [o for o in _resources(bundle, "Observation") if "44261-6" in _codes(o)]
    assert sorted(o["valueQuantity"]["value"] for o in totals) == [9, 18]
    item9 = [o for o in _resources(bundle, "Observation") if "44260-8" in _codes(o)]
    assert len(item9) == 2 and {o["valueCodeableConcept"]["coding"][0]["code"] for o in item9} == {
        "LA6569-3",
        "LA6570-1",
    }
    for total in totals:
        assert len(total["hasMember"]) == 9


def test_the_patients_download_is_the_transaction_and_passes_both_validators(
    personas: Any, client_for: Any
) -> None:
    make_history(personas.a1, personas.clinician_a)
    response = client_for("a1").get(reverse("interop:records_fhir"))
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["type"] == "transaction"
    strict_validate(body)


@pytest.fixture
def care_bundle(personas: Any) -> dict[str, Any]:
    make_care_records(personas.a1, personas.clinician_a)
    result = fhir_bundle(personas.a1, now=timezone.now())
    validate_bundle(result)
    strict_validate(result)
    return result


def test_medicines_from_intake_are_medication_statements(care_bundle: dict[str, Any]) -> None:
    statements = _resources(care_bundle, "MedicationStatement")
    assert {s["medicationCodeableConcept"]["text"] for s in statements} == {
        "Sertraline 50 mg daily",
        "Benzodiazepines",
    }
    assert {s["status"] for s in statements} == {"active"}
    for statement in statements:
        assert statement["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/MedicationStatement"]
        assert statement["dateAsserted"]


def test_the_plan_is_a_us_core_care_plan_whose_activities_are_its_appointments(
    care_bundle: dict[str, Any],
) -> None:
    (plan,) = _resources(care_bundle, "CarePlan")
    assert plan["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"]
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["category"][0]["coding"][0]["code"] == "assess-plan"
    assert plan["text"]["status"] == "generated" and plan["text"]["div"].startswith("<div xmlns=")
    appointments = {f"urn:uuid:{a['id']}" for a in _resources(care_bundle, "Appointment")}
    referenced = {a["reference"]["reference"] for a in plan["activity"] if "reference" in a}
    assert referenced and referenced == appointments
    (medicine,) = [a["detail"] for a in plan["activity"] if "detail" in a]
    assert medicine["productCodeableConcept"]["coding"][0]["code"] == "6130"
    assert medicine["code"]["coding"][0]["code"] == "47625008"  # IV route


def test_consents_carry_their_true_status_and_a_withdrawn_one_ends(care_bundle: dict[str, Any]) -> None:
    consents = {c["policyRule"]["text"]: c for c in _resources(care_bundle, "Consent")}
    current = consents["Treatment consent, document version KC-TEST-1"]
    withdrawn = consents["Treatment consent, document version KC-OLD-0"]
    assert current["status"] == "active" and "end" not in current["provision"]["period"]
    assert withdrawn["status"] == "inactive" and withdrawn["provision"]["period"]["end"]
    assert withdrawn["performer"] == [{"display": "Pat Parent (Parent)"}]
    assert current["performer"][0]["reference"].startswith("urn:uuid:")
    for consent in consents.values():
        assert consent["scope"]["coding"][0]["code"] == "treatment"
        assert consent["category"][0]["coding"][0] == {
            "system": "http://loinc.org",
            "code": "59284-0",
            "display": "Patient Consent",
        }


def test_a_consent_marked_entered_in_error_says_so(personas: Any) -> None:
    from ketacare.intake.models import Consent
    from ketacare.intake.services import mark_entered_in_error

    make_care_records(personas.a1, personas.clinician_a)
    mistaken = Consent.objects.filter(patient=personas.a1, withdrawn_at__isnull=True).get()
    mark_entered_in_error(record=mistaken, user=personas.clinician_a, reason="Wrong patient")
    bundle = fhir_bundle(personas.a1, now=timezone.now())
    strict_validate(bundle)
    statuses = {c["id"]: c["status"] for c in _resources(bundle, "Consent")}
    assert statuses[str(mistaken.public_id)] == "entered-in-error"
