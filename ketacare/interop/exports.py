"""The patient's own records as a FHIR R4 Bundle, CSV rows and a PDF summary.

FHIR resources are validated with the ``fhir.resources`` R4B models (R4B shares R4's resource
definitions for everything exported here; the installed package's top level is R5).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.checkins.selectors import patient_checkins, patient_symptoms
from ketacare.core.instruments import get_instrument
from ketacare.journal.selectors import own_entries
from ketacare.lib.csvsafe import csv_safe as _safe
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import patient_responses
from ketacare.treatments.models import AdverseEvent, VitalSign
from ketacare.treatments.selectors import next_appointment, patient_doses

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SYSTEM = "https://ketacare.org/fhir"
# Vital-sign codes of the FHIR R4 vital signs profile (hl7.org/fhir/R4/observation-vitalsigns.html):
# a terminology standard, not a clinical threshold.
LOINC_BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
LOINC_SYSTOLIC = ("8480-6", "Systolic blood pressure")
LOINC_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
LOINC_HEART_RATE = ("8867-4", "Heart rate")
LOINC_SPO2 = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
VITAL_SIGNS_CATEGORY = [
    {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
        ]
    }
]


def _loinc(code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}], "text": code[1]}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def session_clinical_entries(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Vital signs (LOINC-coded Observations) and in-session adverse events recorded by the clinic."""
    entries: list[dict[str, Any]] = []
    vitals = VitalSign.objects.filter(patient=patient, entered_in_error=False).select_related("session")
    for vital in vitals.order_by("measured_at", "id"):
        encounter = {"reference": _ref("Encounter", vital.session.public_id)}
        when = _iso(vital.measured_at)
        entries.append(
            {
                "fullUrl": f"urn:uuid:{vital.public_id}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": VITAL_SIGNS_CATEGORY,
                    "code": _loinc(LOINC_BP_PANEL),
                    "subject": {"reference": patient_ref},
                    "encounter": encounter,
                    "effectiveDateTime": when,
                    "component": [
                        {
                            "code": _loinc(LOINC_SYSTOLIC),
                            "valueQuantity": _quantity(vital.systolic_mmhg, "mmHg", "mm[Hg]"),
                        },
                        {
                            "code": _loinc(LOINC_DIASTOLIC),
                            "valueQuantity": _quantity(vital.diastolic_mmhg, "mmHg", "mm[Hg]"),
                        },
                    ],
                },
            }
        )
        for code, value, unit, ucum, suffix in (
            (LOINC_HEART_RATE, vital.heart_rate_bpm, "beats/minute", "/min", "hr"),
            (LOINC_SPO2, vital.spo2_pct, "%", "%", "spo2"),
        ):
            if value is None:
                continue
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{_derived(str(vital.public_id), suffix)}",
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "category": VITAL_SIGNS_CATEGORY,
                        "code": _loinc(code),
                        "subject": {"reference": patient_ref},
                        "encounter": encounter,
                        "effectiveDateTime": when,
                        "valueQuantity": _quantity(value, unit, ucum),
                    },
                }
            )
    events = AdverseEvent.objects.filter(patient=patient, entered_in_error=False).select_related("session")
    for event in events.order_by("occurred_at", "id"):
        entries.append(
            {
                "fullUrl": f"urn:uuid:{event.public_id}",
                "resource": {
                    "resourceType": "AdverseEvent",
                    "id": str(event.public_id),
                    "actuality": "actual",
                    "event": {"text": event.description},
                    "subject": {"reference": patient_ref},
                    "encounter": {"reference": _ref("Encounter", event.session.public_id)},
                    "date": _iso(event.occurred_at),
                    "severity": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                                "code": event.severity,
                            }
                        ]
                    },
                },
            }
        )
    return entries


def _ref(kind: str, public_id: Any) -> str:
    return f"urn:uuid:{public_id}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def fhir_bundle(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything about the patient as a FHIR R4 ``collection`` Bundle (plain JSON-ready dict)."""
    now = now or timezone.now()
    patient_ref = _ref("Patient", patient.public_id)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_ref,
            "resource": {
                "resourceType": "Patient",
                "id": str(patient.public_id),
                "identifier": [{"system": f"{SYSTEM}/patient", "value": str(patient.public_id)}],
                "name": [{"text": patient.full_name}],
                "birthDate": patient.date_of_birth.isoformat(),
                "managingOrganization": {"display": patient.clinic.name},
            },
        }
    ]
    for dose in patient_doses(patient, now=now):
        encounter_ref = _ref("Encounter", dose.session_public_id)
        entries.append(
            {
                "fullUrl": encounter_ref,
                "resource": {
                    "resourceType": "Encounter",
                    "id": dose.session_public_id,
                    "status": "finished",
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                    "subject": {"reference": patient_ref},
                    "period": {"start": _iso(dose.started_at), "end": _iso(dose.ended_at)},
                },
            }
        )
        entries.append(
            {
                "fullUrl": f"urn:uuid:{_derived(dose.session_public_id, 'medadmin')}",
                "resource": {
                    "resourceType": "MedicationAdministration",
                    "status": "completed",
                    "medicationCodeableConcept": {
                        "text": "esketamine" if dose.route == "esketamine_in" else "ketamine"
                    },
                    "subject": {"reference": patient_ref},
                    "context": {"reference": encounter_ref},
                    "effectivePeriod": {"start": _iso(dose.started_at), "end": _iso(dose.ended_at)},
                    "dosage": {
                        "route": {"text": dose.route},
                        **(
                            {
                                "dose": {
                                    "value": dose.dose_mg,
                                    "unit": "mg",
                                    "system": "http://unitsofmeasure.org",
                                    "code": "mg",
                                }
                            }
                            if dose.dose_mg
                            else {}
                        ),
                    },
                },
            }
        )
    entries += session_clinical_entries(patient, patient_ref)
    for response in patient_responses(patient=patient):
        instrument = get_instrument(response.instrument_id)
        qr_ref = _ref("QuestionnaireResponse", response.public_id)
        entries.append(
            {
                "fullUrl": qr_ref,
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "id": str(response.public_id),
                    "questionnaire": f"{SYSTEM}/Questionnaire/{response.instrument_id}|{response.instrument_version}",
                    "status": "completed",
                    "subject": {"reference": patient_ref},
                    "authored": _iso(response.submitted_at),
                    "item": [
                        {
                            "linkId": item_id,
                            "text": instrument.items_by_id[item_id].text
                            if item_id in instrument.items_by_id
                            else None,
                            "answer": [{"valueInteger": int(value)}],
                        }
                        for item_id, value in response.answers.items()
                    ],
                },
            }
        )
        code: dict[str, Any] = {"text": f"{instrument.title} total score"}
        if instrument.loinc_total:
            code["coding"] = [
                {
                    "system": LOINC,
                    "code": instrument.loinc_total,
                    "display": f"{instrument.title} total score",
                }
            ]
        entries.append(
            {
                "fullUrl": f"urn:uuid:{_derived(str(response.public_id), 'total')}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "survey",
                                }
                            ]
                        }
                    ],
                    "code": code,
                    "subject": {"reference": patient_ref},
                    "effectiveDateTime": _iso(response.submitted_at),
                    "valueQuantity": {"value": response.total, "unit": "{score}"},
                    "derivedFrom": [{"reference": qr_ref}],
                    **({"interpretation": [{"text": response.band}]} if response.band else {}),
                },
            }
        )
    for checkin in patient_checkins(patient=patient):
        if checkin.mood_0_10 is None:
            continue
        entries.append(
            {
                "fullUrl": f"urn:uuid:{_derived(str(checkin.public_id), 'mood')}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    # No verified LOINC code for a 0-10 self-rated mood: text only.
                    "code": {"text": "Self-rated mood (0 = very low, 10 = very good)"},
                    "subject": {"reference": patient_ref},
                    "effectiveDateTime": _iso(checkin.submitted_at),
                    "valueInteger": checkin.mood_0_10,
                },
            }
        )
    for report in patient_symptoms(patient=patient):
        entries.append(
            {
                "fullUrl": _ref("AdverseEvent", report.public_id),
                "resource": {
                    "resourceType": "AdverseEvent",
                    "id": str(report.public_id),
                    "actuality": "actual",
                    "event": {"text": report.name},
                    "subject": {"reference": patient_ref},
                    "date": _iso(report.started_at),
                    "recordedDate": _iso(report.started_at),
                    "severity": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                                "code": report.severity,
                            }
                        ]
                    },
                    **(
                        {"outcome": {"text": f"resolved by {report.resolved_at.isoformat()}"}}
                        if report.resolved_at
                        else {"outcome": {"text": "ongoing"}}
                    ),
                },
            }
        )
    appointment = next_appointment(patient, now=now)
    if appointment is not None:
        entries.append(
            {
                "fullUrl": _ref("Appointment", appointment.public_id),
                "resource": {
                    "resourceType": "Appointment",
                    "id": appointment.public_id,
                    "status": "booked",
                    "start": _iso(appointment.starts_at),
                    "participant": [{"actor": {"reference": patient_ref}, "status": "accepted"}],
                },
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [_drop_none(e) for e in entries],
    }


def _derived(base: str, suffix: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{SYSTEM}/{base}/{suffix}"))


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """Parse the bundle with the fhir.resources R4B models (raises on anything invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(bundle)


CSV_HEADER = ["record", "when", "what", "value", "detail"]


def csv_text(patient: Patient, *, now: dt.datetime | None = None) -> str:
    """One row per record: questionnaire scores, check-ins, symptoms, journal entries, doses."""
    now = now or timezone.now()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for dose in patient_doses(patient, now=now):
        writer.writerow(["dose", _iso(dose.started_at), dose.route, "", ""])
    for v in VitalSign.objects.filter(patient=patient, entered_in_error=False).order_by("measured_at", "id"):
        pulse = f" pulse {v.heart_rate_bpm}/min" if v.heart_rate_bpm is not None else ""
        spo2 = f" SpO2 {v.spo2_pct}%" if v.spo2_pct is not None else ""
        writer.writerow(
            [
                "vital signs",
                _iso(v.measured_at),
                v.kind,
                f"{v.systolic_mmhg}/{v.diastolic_mmhg} mmHg",
                (pulse + spo2).strip(),
            ]
        )
    for a in AdverseEvent.objects.filter(patient=patient, entered_in_error=False).order_by(
        "occurred_at", "id"
    ):
        writer.writerow(["adverse event", _iso(a.occurred_at), a.severity, "", _safe(a.description)])
    for r in patient_responses(patient=patient):
        writer.writerow(["questionnaire", _iso(r.submitted_at), r.instrument_id, f"{r.total:g}", r.band])
    for c in patient_checkins(patient=patient):
        writer.writerow(
            [
                "check-in",
                _iso(c.submitted_at),
                c.triage_level,
                c.mood_0_10 if c.mood_0_10 is not None else "",
                _safe(c.note),
            ]
        )
    for s in patient_symptoms(patient=patient):
        writer.writerow(
            ["symptom", _iso(s.started_at), s.name, s.severity, f"resolved {_iso(s.resolved_at) or 'no'}"]
        )
    for e in own_entries(patient=patient):
        writer.writerow(
            [
                "journal",
                _iso(e.written_at),
                "shared" if e.shared_with_clinic else "private",
                "",
                _safe(e.text),
            ]
        )
    return out.getvalue()


def pdf_bytes(patient: Patient, *, now: dt.datetime | None = None) -> bytes:
    """A printable PDF summary carrying the patient's scores, check-ins and side effects."""
    from weasyprint import HTML

    now = now or timezone.now()
    zone = ZoneInfo(patient.time_zone)
    html = render_to_string(
        "interop/summary_pdf.html",
        {
            "patient": patient,
            "generated": now.astimezone(zone),
            "responses": [(r, r.submitted_at.astimezone(zone)) for r in patient_responses(patient=patient)],
            "checkins": [
                (c, c.submitted_at.astimezone(zone)) for c in patient_checkins(patient=patient)[:100]
            ],
            "symptoms": patient_symptoms(patient=patient)[:100],
            "doses": patient_doses(patient, now=now),
        },
    )
    return bytes(HTML(string=html, base_url=None).write_pdf())
