"""A patient who takes no medicines says so in the FHIR files, and one never asked says nothing.

Intake records "takes no medicines" as an answer (``MedicationList.no_medicines``); the FHIR files carry it as
a List of the current medicines, empty with the reason ``nilknown``, so a receiving system can tell "none"
from "not asked" (docs/fhir.md). A patient who takes medicines gets the same List, its entries their
MedicationStatements. Each file is fetched as its reader fetches it (the patient's download, the clinician's
Patient/$everything, the FHIR API) and parsed with the fhir.resources R4B models and fhirclient strict.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.list import List as FhirList

from ketacare.intake import services as intake
from ketacare.intake.models import MedicationList
from tests.support.fhir import strict_validate

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
MEDICATION_HISTORY = "10160-0"  # LOINC "History of Medication use Narrative", as HL7 IPS codes the section
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"


def _files(personas: Any, client_for: Any) -> dict[str, dict[str, Any]]:
    """The patient's download and the clinician's $everything for patient a1, each validated twice."""
    everything = reverse("fhir:everything", kwargs={"patient_id": str(personas.a1.public_id)})
    out = {}
    for name, response in (
        ("download", client_for("a1").get(reverse("interop:records_fhir"))),
        ("everything", client_for("clinician_a").get(everything)),
    ):
        assert response.status_code == 200
        body = json.loads(response.content)
        Bundle.model_validate(body)
        strict_validate(body)
        out[name] = body
    return out


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _patient_ref(name: str, personas: Any) -> str:
    # The download is a transaction whose references are its entries' urn:uuid full URLs.
    return f"urn:uuid:{personas.a1.public_id}" if name == "download" else f"Patient/{personas.a1.public_id}"


def _no_medicines(personas: Any, *, days_ago: int = 3) -> MedicationList:
    return intake.record_medications(
        patient=personas.a1,
        user=personas.clinician_a,
        medications=[],
        no_medicines=True,
        recorded_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_takes_no_medicines_is_an_empty_list_with_the_reason_nil_known(
    personas: Any, client_for: Any
) -> None:
    answer = _no_medicines(personas)
    for name, bundle in _files(personas, client_for).items():
        (resource,) = _of(bundle, "List")
        parsed: Any = FhirList.model_validate(resource)
        assert parsed.id == str(answer.public_id), name
        assert parsed.status == "current" and parsed.mode == "snapshot", name
        assert [(c.system, c.code, c.display) for c in parsed.code.coding] == [
            (LOINC, MEDICATION_HISTORY, "History of Medication use Narrative")
        ], name
        assert [(c.system, c.code, c.display) for c in parsed.emptyReason.coding] == [
            (EMPTY_REASON, "nilknown", "Nil Known")
        ], name
        assert "no medicines" in parsed.emptyReason.text.lower(), name
        assert not parsed.entry, name  # a List carries an emptyReason only when it is empty (lst-1)
        assert parsed.subject.reference == _patient_ref(name, personas), name
        assert dt.datetime.fromisoformat(resource["date"]) == answer.recorded_at, name
        assert parsed.title and "no medicines" in parsed.text.div.lower(), name
        assert resource["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/List"], name
        assert not _of(bundle, "MedicationStatement"), name


def test_a_patient_on_medicines_gets_a_list_whose_entries_are_their_statements(
    personas: Any, client_for: Any
) -> None:
    _no_medicines(personas, days_ago=10)  # superseded by the list below: not exported
    current = intake.record_medications(
        patient=personas.a1,
        user=personas.clinician_a,
        medications=["Sertraline 50 mg daily", "Lamotrigine 100 mg"],
        drug_classes=["benzodiazepines"],
    )
    for name, bundle in _files(personas, client_for).items():
        (resource,) = _of(bundle, "List")
        parsed: Any = FhirList.model_validate(resource)
        assert parsed.id == str(current.public_id) and parsed.status == "current", name
        assert parsed.emptyReason is None, name
        statements = _of(bundle, "MedicationStatement")
        assert len(statements) == 3, name
        prefix = "urn:uuid:" if name == "download" else "MedicationStatement/"
        assert [e.item.reference for e in parsed.entry] == [f"{prefix}{s['id']}" for s in statements], name
        assert "Sertraline 50 mg daily" in parsed.text.div, name


def test_no_list_when_medicines_were_never_asked(personas: Any, client_for: Any) -> None:
    assert all(not _of(b, "List") for b in _files(personas, client_for).values())
    # A list saved empty before intake asked for the "takes no medicines" tick does not say "none".
    MedicationList.objects.create(
        clinic=personas.a1.clinic,
        patient=personas.a1,
        created_by=personas.clinician_a,
        recorded_at=timezone.now() - dt.timedelta(days=1),
        medications=[],
        no_medicines=False,
    )
    assert all(not _of(b, "List") for b in _files(personas, client_for).values())


def test_a_no_medicines_answer_marked_entered_in_error_says_so(personas: Any, client_for: Any) -> None:
    answer = _no_medicines(personas)
    intake.mark_entered_in_error(record=answer, user=personas.clinician_a, reason="Asked the wrong patient")
    for name, bundle in _files(personas, client_for).items():
        (resource,) = _of(bundle, "List")
        assert resource["id"] == str(answer.public_id) and resource["status"] == "entered-in-error", name


def test_the_fhir_api_reads_and_searches_the_list_for_the_clinic_only(personas: Any, client_for: Any) -> None:
    answer = _no_medicines(personas)
    rid = str(answer.public_id)
    client = client_for("clinician_a")
    read = client.get(f"/fhir/R4/List/{rid}")
    assert read.status_code == 200
    resource = json.loads(read.content)
    strict_validate(resource)
    parsed: Any = FhirList.model_validate(resource)
    assert parsed.emptyReason.coding[0].code == "nilknown"
    found = json.loads(
        client.get(
            f"/fhir/R4/List?patient={personas.a1.public_id}&code={MEDICATION_HISTORY}&status=current"
        ).content
    )
    assert [e["resource"]["id"] for e in found["entry"]] == [rid]
    served = {r["type"] for r in json.loads(client.get("/fhir/R4/metadata").content)["rest"][0]["resource"]}
    assert "List" in served
    assert client_for("clinician_b").get(f"/fhir/R4/List/{rid}").status_code == 404
    assert client_for("a2").get(f"/fhir/R4/List/{rid}").status_code == 404
