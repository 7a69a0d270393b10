"""A small hand-computed cohort for the outcome tests (scores by day after a fixed start).

Written as rows, not through the services (docs/decisions/0023): the numbers below are computed by
hand from exactly these rows (scores, plans and sessions at fixed dates, nothing else), and a plan
made by the plan service would add the appointments, sessions and audit rows of a whole course.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def make_patient(clinic: Any, name: str, clinician: Any = None) -> Any:
    from ketacare.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic, full_name=name, date_of_birth=dt.date(1980, 1, 1), primary_clinician=clinician
    )


def add_scores(
    patient: Any, series: list[tuple[float, float]], *, instrument: str = "phq9", status: str = "valid"
) -> None:
    from ketacare.questionnaires.models import QuestionnaireResponse

    for d, total in series:
        QuestionnaireResponse.objects.create(
            clinic=patient.clinic,
            patient=patient,
            instrument_id=instrument,
            instrument_version="1",
            answers={},
            total=total,
            submitted_at=day(d),
            idempotency_key=f"{instrument}-{d}-{status}",
            status=status,
        )


def add_plan(patient: Any, route: str, author: Any, *, created: float = 0) -> Any:
    from ketacare.treatments.models import TreatmentPlan

    plan = TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine" if route == "iv" else "esketamine",
        preset_id="standard",
        route=route,
        review_after_session=6,
        review_not_before=day(created + 14),
        created_by=author,
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=day(created))
    return plan


def add_appointments(plan: Any, statuses: list[str]) -> None:
    """Induction appointments 1..n of a plan with these statuses; a completed one has its session,
    discharged (what completes an appointment, outcomes.funnel_sql)."""
    from ketacare.treatments.models import Appointment, TreatmentSession

    for number, status in enumerate(statuses, start=1):
        appointment = Appointment.objects.create(
            clinic=plan.clinic,
            patient=plan.patient,
            plan=plan,
            number=number,
            phase="induction",
            week=1 + (number - 1) // 2,
            starts_at=day(2 * number),
            duration_min=120,
            status=status,
        )
        if status == "completed":
            TreatmentSession.objects.create(
                clinic=plan.clinic,
                patient=plan.patient,
                plan=plan,
                appointment=appointment,
                protocol_id=plan.protocol_id,
                route=plan.route,
                scheduled_at=appointment.starts_at,
                state="discharged",
                discharged_at=appointment.ends_at,
                created_by=plan.created_by,
            )


def add_sessions(
    patient: Any, n: int, author: Any, *, route: str = "iv", state: str = "discharged"
) -> list[Any]:
    from ketacare.treatments.models import TreatmentSession

    return [
        TreatmentSession.objects.create(
            clinic=patient.clinic,
            patient=patient,
            protocol_id="iv_ketamine",
            route=route,
            scheduled_at=day(2 * k),
            planned_dose_mg=Decimal("35"),
            state=state,
            created_by=author,
        )
        for k in range(n)
    ]


def add_intake(patient: Any, indications: list[str], author: Any) -> None:
    from ketacare.intake.models import Intake

    Intake.objects.create(
        clinic=patient.clinic,
        patient=patient,
        recorded_at=T0,
        sex="female",
        indications=indications,
        created_by=author,
    )


# PHQ-9 series (day, total). Response: latest <= baseline/2; remission: latest <= 4 (core data).
# P1: 20 -> 9 at day 14 (first response), 8, then 14 (d35) and 16 (d42): two non-responding in a row
#     -> relapse at day 42, 28 days after the first response; endpoint 16 > 10: not a responder.
# P2: 18 -> 8 at day 7 (first response; 8 <= 9), 4 at day 14 -> responder and remitter; censored at 7 days.
# P3: 15 -> 14 -> 13 (and a 2 entered in error, ignored) -> not a responder, never responded.
# P4: 24 -> 12 at day 7 (exactly 50%: response), 13, 12, 20 (d28), 22 (d35) -> relapse at day 35,
#     28 days after day 7 (d28 follows a response at d21, so the run starts at d28); endpoint 22.
# P5: baseline 10 only: in the cohort, not evaluable.
# P6: 12 -> 6 at day 7 (response, 6 <= 6), 5 at day 10, 5 at day 40 -> responder (5 > 4: no remission);
#     censored 33 days after the first response.
COHORT = {
    "P1": [(0, 20), (7, 12), (14, 9), (21, 8), (35, 14), (42, 16)],
    "P2": [(0, 18), (7, 8), (14, 4)],
    "P3": [(0, 15), (7, 14), (14, 13)],
    "P4": [(0, 24), (7, 12), (14, 13), (21, 12), (28, 20), (35, 22)],
    "P5": [(0, 10)],
    "P6": [(0, 12), (7, 6), (10, 5), (40, 5)],
}


def seed_cohort(personas: Any) -> dict[str, Any]:
    """The cohort at Clinic A, plus one Clinic B patient who must never be counted."""
    clinic = personas.clinic_a
    patients = {name: make_patient(clinic, f"Cohort {name}") for name in COHORT}
    for name, series in COHORT.items():
        add_scores(patients[name], series)
    add_scores(patients["P3"], [(21, 2)], status="entered_in_error")
    other = make_patient(personas.clinic_b, "Cohort B")
    add_scores(other, [(0, 20), (7, 2)])
    author = personas.clinician_a
    for name in ("P1", "P2"):
        patients[name].plan = add_plan(patients[name], "iv", author)
    for name in ("P4", "P6"):
        patients[name].plan = add_plan(patients[name], "esketamine_in", author)
    add_intake(patients["P1"], ["treatment_resistant_depression"], author)
    add_intake(patients["P2"], ["treatment_resistant_depression", "anxiety"], author)
    add_intake(patients["P3"], ["anxiety"], author)
    return patients
