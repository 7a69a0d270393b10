"""What every FHIR resource KetaCare builds shares: code systems, profiles, stable ids, small builders.

Used by the resource builders (``fhir_resources`` for the clinical record, ``fhir_care`` for medicines,
plans and consents); docs/decisions/0019 explains the ids and profiles.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

# The LOINC displays of the instruments' item and total codes live with the Questionnaires that carry the
# same codes (core.instruments.fhir names each display's source), so a code reads the same in both.
from ketacare.core.instruments.fhir import LOINC_DISPLAY as LOINC_DISPLAY

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SYSTEM = "https://ketacare.org/fhir"
# RFC 3986 identifiers: the value is the resource's urn:uuid, unique across every KetaCare deployment.
URI_SYSTEM = "urn:ietf:rfc:3986"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
# The displays of R4's AdverseEventSeverity and AdverseEventOutcome code systems
# (hl7.org/fhir/R4/codesystem-adverse-event-severity.html, codesystem-adverse-event-outcome.html).
SEVERITY_DISPLAY = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
ADVERSE_EVENT_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
OUTCOME_DISPLAY = {"resolved": "Resolved", "ongoing": "Ongoing", "unknown": "Unknown"}
# R4's AdverseEventCategory codes name product and use errors, none an expected side effect; the binding
# is extensible, so KetaCare's own code system names the category.
ADVERSE_EVENT_CATEGORY = f"{SYSTEM}/CodeSystem/adverse-event-category"
KETACARE_OBSERVATION = f"{SYSTEM}/CodeSystem/observation"
# Where an observation came from when the R4 categories cannot say it: a baseline the clinic entered at intake
# is the same instrument total as the patient's own answers, and a receiver must be able to tell them apart.
KETACARE_OBSERVATION_CATEGORY = f"{SYSTEM}/CodeSystem/observation-category"

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
BASE = "http://hl7.org/fhir/StructureDefinition"
PROFILES = {
    "Patient": f"{US_CORE}/us-core-patient",
    "Encounter": f"{US_CORE}/us-core-encounter",
    "QuestionnaireResponse": f"{US_CORE}/us-core-questionnaireresponse",
    "CarePlan": f"{US_CORE}/us-core-careplan",
    "Condition": f"{US_CORE}/us-core-condition-problems-health-concerns",
    "bp": f"{US_CORE}/us-core-blood-pressure",
    "hr": f"{US_CORE}/us-core-heart-rate",
    "spo2": f"{US_CORE}/us-core-pulse-oximetry",
    "survey": f"{US_CORE}/us-core-observation-screening-assessment",
    # US Core defines none for these: the base R4 definitions.
    "MedicationAdministration": f"{BASE}/MedicationAdministration",
    "AdverseEvent": f"{BASE}/AdverseEvent",
    "Appointment": f"{BASE}/Appointment",
    "Questionnaire": f"{BASE}/Questionnaire",
    "MedicationStatement": f"{BASE}/MedicationStatement",
    "Consent": f"{BASE}/Consent",
    "Communication": f"{BASE}/Communication",
    "List": f"{BASE}/List",
}

# Vital-sign codes of the FHIR R4 vital signs profile (hl7.org/fhir/R4/observation-vitalsigns.html) and
# US Core Pulse Oximetry, which needs both oxygen-saturation codings [USCore-PulseOx].
LOINC_BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
LOINC_SYSTOLIC = ("8480-6", "Systolic blood pressure")
LOINC_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
LOINC_HEART_RATE = ("8867-4", "Heart rate")
LOINC_SPO2 = ("2708-6", "Oxygen saturation in Arterial blood")
LOINC_SPO2_PULSE_OX = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
# Dosing route -> (RxNorm code, display) of the drug [RxNorm-Esketamine]; ketamine's ingredient code 6130
# (racemic ketamine by every route but the nasal spray) is unverified against a stored source (docs/fhir.md).
MEDICATION = {
    "esketamine_in": ("2201623", "esketamine Nasal Spray"),
    "iv": ("6130", "ketamine"),
    "oral": ("6130", "ketamine"),
    "sublingual": ("6130", "ketamine"),
    "im": ("6130", "ketamine"),
}
# Dosing route -> SNOMED CT route of administration, a descendant of 284009009 "Route of administration
# value" as the route-codes value set requires [FHIR-RouteCodes].
ROUTE = {
    "iv": ("47625008", "Intravenous route"),
    "esketamine_in": ("46713006", "Nasal route"),
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "im": ("78421000", "Intramuscular route (qualifier value)"),
}
# R4 resources whose ``identifier`` is 0..1 rather than a list.
SINGLE_IDENTIFIER = {"AdverseEvent", "QuestionnaireResponse"}
APPOINTMENT_STATUS = {"scheduled": "booked", "cancelled": "cancelled", "completed": "fulfilled"}


def derived_id(base: str, suffix: str) -> str:
    """A stable UUID for the n-th resource one record yields (the same on every export)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{SYSTEM}/{base}/{suffix}"))


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def loinc(*codes: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [coding(LOINC, c, d) for c, d in codes], "text": codes[0][1]}


def quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def category_of(code: str) -> list[dict[str, Any]]:
    return [{"coding": [coding(OBSERVATION_CATEGORY, code)]}]


def make_resource(
    kind: str, rid: str, profile: str, updated: dt.datetime | None, **fields: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"profile": [PROFILES[profile]]}
    if updated is not None:
        meta["lastUpdated"] = updated.isoformat()
    identifier = {"system": URI_SYSTEM, "value": f"urn:uuid:{rid}"}
    return {
        "resourceType": kind,
        "id": rid,
        "meta": meta,
        "identifier": identifier if kind in SINGLE_IDENTIFIER else [identifier],
        **fields,
    }


def drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value
