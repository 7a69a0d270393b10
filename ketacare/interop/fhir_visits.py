"""The patient's visits as FHIR R4 resources: each session an Encounter with its MedicationAdministration,
each booked appointment an Appointment.

- **Encounter** (US Core Encounter): the visit, from arrival (check-in) to going home (discharge), not
  only the dose window. Its status follows the run-sheet: ``in-progress`` from check-in until
  discharge, with the period left open; ``finished`` once discharged; ``cancelled`` for a visit the
  patient arrived for that was called off. A session recorded without a check-in starts at its dose.
  Every session the patient arrived for is one, dosed or not, so the vital signs taken at it resolve.
- **MedicationAdministration**: what the session gave, summed over its doses (those marked entered in
  error left out), with who recorded each dose and the lot numbers used.
- **Appointment**: its description in words ("Induction session (IV ketamine infusion)"), never the
  plan's phase key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from ketacare.core import display
from ketacare.interop.fhir_common import (
    APPOINTMENT_STATUS,
    MEDICATION,
    ROUTE,
    RXNORM,
    SNOMED,
    coding,
    derived_id,
    iso,
    make_resource,
    quantity,
)
from ketacare.patients.facts import Dose
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, DoseAdministration, TreatmentSession

State = TreatmentSession.State
# Run-sheet state -> R4 Encounter.status: under way from check-in until the patient goes home.
ENCOUNTER_STATUS: dict[str, str] = {
    State.SCHEDULED: "planned",
    State.CHECKED_IN: "in-progress",
    State.DOSING: "in-progress",
    State.OBSERVING: "in-progress",
    State.READY_FOR_DISCHARGE: "in-progress",
    State.DISCHARGED: "finished",
    State.CANCELLED: "cancelled",
}
# A plan's phase in words: the phases are the patient's stages of a course (patients.Patient.Stage).
PHASE_WORDS: dict[str, str] = {str(value): str(label) for value, label in Patient.Stage.choices}


def _visit_period(session: TreatmentSession, status: str, dose: Dose | None) -> dict[str, str | None]:
    """From arrival to going home; open while the visit is under way."""
    start = session.checked_in_at or (dose.started_at if dose else None)
    end = None
    if status == "finished":
        end = session.discharged_at or (dose.ended_at if dose else None)
    elif status == "cancelled":
        end = session.cancelled_at
    return {"start": iso(start), "end": iso(end)}


def _performers(rows: list[DoseAdministration], patient: Patient) -> list[dict[str, Any]] | None:
    """Who recorded the session's doses at the chair, each once; KetaCare serves no Practitioner, so
    they are named, not referenced."""
    names: dict[str, None] = {}
    for row in rows:
        names[row.created_by.full_name or "Clinic staff"] = None
    return [
        {
            "function": {"text": "Recorded the dose in the session record"},
            "actor": {"display": f"{name} ({patient.clinic.name})"},
        }
        for name in names
    ] or None


def _lot_note(rows: list[DoseAdministration]) -> list[dict[str, str]] | None:
    """The lots the session's doses used, in words. Not a contained Medication's ``batch``: R4 gives it one
    lot where each nasal device of a session carries its own, and ``medicationReference`` would take the
    RxNorm code out of reach of R4's ``code`` search (docs/fhir.md)."""
    lots = list(dict.fromkeys(row.lot_number for row in rows if row.lot_number))
    if not lots:
        return None
    return [{"text": ("Lot number " if len(lots) == 1 else "Lot numbers ") + ", ".join(lots)}]


def _administration(
    dose: Dose, rows: list[DoseAdministration], patient: Patient, patient_ref: str
) -> dict[str, Any]:
    encounter_id = dose.session_public_id
    drug_code, drug_name = MEDICATION.get(dose.route, ("", "ketamine"))
    route_code, route_name = ROUTE.get(dose.route, ("", dose.route))
    return make_resource(
        "MedicationAdministration",
        derived_id(encounter_id, "medadmin"),
        "MedicationAdministration",
        dose.ended_at or dose.started_at,
        status="completed" if dose.ended_at else "in-progress",
        medicationCodeableConcept={
            "coding": [coding(RXNORM, drug_code, drug_name)] if drug_code else None,
            "text": drug_name,
        },
        subject={"reference": patient_ref},
        context={"reference": f"Encounter/{encounter_id}"},
        effectivePeriod={"start": iso(dose.started_at), "end": iso(dose.ended_at)},
        performer=_performers(rows, patient),
        note=_lot_note(rows),
        dosage={
            "route": {
                "coding": [coding(SNOMED, route_code, route_name)] if route_code else None,
                "text": route_name,
            },
            "dose": quantity(dose.dose_mg, "mg", "mg") if dose.dose_mg else None,
        },
    )


def session_resources(
    patient: Patient, patient_ref: str, *, doses: list[Dose], now: dt.datetime
) -> list[dict[str, Any]]:
    """An Encounter for each session the patient arrived for or was dosed at (up to ``now``), and a
    MedicationAdministration for each dosed one, in the order the visits began."""
    by_session = {d.session_public_id: d for d in doses}
    sessions = list(
        TreatmentSession.objects.filter(patient=patient).filter(
            Q(public_id__in=list(by_session)) | Q(checked_in_at__isnull=False, checked_in_at__lte=now)
        )
    )
    rows: dict[int, list[DoseAdministration]] = {}
    given = DoseAdministration.objects.filter(session__in=sessions, entered_in_error=False)
    for row in given.select_related("created_by").order_by("started_at", "id"):
        rows.setdefault(row.session_id, []).append(row)

    def began(session: TreatmentSession) -> dt.datetime:
        dose = by_session.get(str(session.public_id))
        return session.checked_in_at or (dose.started_at if dose else session.scheduled_at)

    out: list[dict[str, Any]] = []
    for session in sorted(sessions, key=lambda s: (began(s), s.pk)):
        session_id = str(session.public_id)
        dose = by_session.get(session_id)
        status = ENCOUNTER_STATUS.get(session.state, "unknown")
        period = _visit_period(session, status, dose)
        out.append(
            make_resource(
                "Encounter",
                session_id,
                "Encounter",
                session.discharged_at
                or session.cancelled_at
                or ((dose.ended_at or dose.started_at) if dose else session.checked_in_at),
                status=status,
                **{"class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")},
                type=[{"text": "Ketamine treatment session"}],
                subject={"reference": patient_ref},
                period=period,
            )
        )
        if dose is not None:
            out.append(_administration(dose, rows.get(session.pk, []), patient, patient_ref))
    return out


def appointment_words(appointment: Appointment) -> str:
    """'Induction session (IV ketamine infusion)': the phase and the route in the words people read."""
    phase = appointment.phase
    words = PHASE_WORDS.get(phase) or (display.humanize(phase).capitalize() if phase else "Treatment")
    route = display.route_name(appointment.plan.route)
    return f"{words} session ({route})" if route else f"{words} session"


def appointment_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Every appointment of the patient's plans, with its booked start and end."""
    out: list[dict[str, Any]] = []
    appointments = Appointment.objects.filter(patient=patient).select_related("plan")
    for appointment in appointments.order_by("starts_at", "id"):
        out.append(
            make_resource(
                "Appointment",
                str(appointment.public_id),
                "Appointment",
                appointment.created_at,
                status=APPOINTMENT_STATUS.get(appointment.status, "booked"),
                description=appointment_words(appointment),
                start=iso(appointment.starts_at),
                end=iso(appointment.ends_at),
                minutesDuration=appointment.duration_min,
                participant=[{"actor": {"reference": patient_ref}, "status": "accepted"}],
            )
        )
    return out
