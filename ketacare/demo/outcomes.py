"""Demo data for the outcomes dashboard: past courses with responders, non-responders, relapses, drop-outs.

The treatments demo gives a few login patients a current plan, and the questionnaires demo scores
dosed patients; what the dashboard still lacks is a history. For patients in maintenance,
completed or discontinued without a plan, this adds a past plan (70-300 days ago) with its six
induction appointments completed or cancelled (no run-sheets or doses), and submits
weekly PHQ-9 and GAD-7 scores (through the questionnaires service) with a synthetic mix:
about half respond, some of them lose the response later (the core course rule then raises its
alert), and some stop before session 6. Illustrative synthetic values, not clinical figures.
The scores of a course are stored without announcing each one, and the course rules then run once
over the patient's whole series: the same alerts as one run per score, at a fraction of the cost.

Deterministic (ctx.rng, drawn before any existence check) and idempotent: a patient who already
has a plan is skipped, and every score has a fixed idempotency key.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from ketacare.questionnaires.services import submit_questionnaire
from ketacare.treatments.models import Appointment, TreatmentPlan
from ketacare.vigilance.course_signals import evaluate_course_signals

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext


HISTORY_STAGES = ("maintenance", "completed", "discontinued")
# Past courses go to the first patients of each clinic only: enough for a meaningful dashboard,
# while `ketacare demo-data --patients 100000` stays a matter of minutes (the benchmark seeds its
# own scores in bulk).
HISTORY_PATIENTS_PER_CLINIC = 60


def _answers(instrument_id: str, total: int) -> dict[str, int]:
    items, spread = (9, 8) if instrument_id == "phq9" else (7, 7)
    values = [0] * items
    for i in range(total):
        values[i % spread] += 1  # PHQ-9 item 9 stays 0: demo courses carry no suicide-risk answer
    return {f"{instrument_id}.q{i + 1}": min(v, 3) for i, v in enumerate(values)}


def seed_app(ctx: DemoContext) -> None:
    for key, clinic in ctx.clinics.items():
        prescriber = ctx.staff["prescriber" if key == "a" else "prescriber-b"]
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        for index, patient in enumerate(ctx.patients_by_clinic[key][:HISTORY_PATIENTS_PER_CLINIC]):
            draws = [ctx.rng.random() for _ in range(16)]
            if patient.stage not in HISTORY_STAGES or TreatmentPlan.objects.filter(patient=patient).exists():
                continue
            _past_course(ctx, patient, prescriber, zone, index, draws)


def _past_course(
    ctx: DemoContext, patient: Any, prescriber: Any, zone: zoneinfo.ZoneInfo, index: int, draws: list[float]
) -> None:
    start = (ctx.now - dt.timedelta(days=70 + int(draws[0] * 230))).astimezone(zone)
    start = start.replace(hour=9 + index % 6, minute=0, second=0, microsecond=0)
    route = "esketamine_in" if draws[1] < 0.35 else "iv"
    # A past plan with its induction appointments only: no run-sheets, no doses, so the other
    # features' demo seeders (which react to doses) see nothing new on a second run.
    plan = TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="esketamine_trd" if route == "esketamine_in" else "iv_ketamine",
        preset_id="label" if route == "esketamine_in" else "3_per_week_2_weeks",
        route=route,
        review_after_session=6,
        review_not_before=start + dt.timedelta(days=14),
        notes="Demo: past course",
        status=TreatmentPlan.Status.ENDED,
        created_by=prescriber,
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=start)
    # Drop-out: 25% stop after 1-5 sessions (illustrative); discontinued patients always stop early.
    stops = patient.stage == "discontinued" or draws[3] < 0.25
    completed = 1 + int(draws[4] * 5) if stops else 6
    for number in range(1, 7):
        Appointment.objects.create(
            clinic=patient.clinic,
            patient=patient,
            plan=plan,
            number=number,
            phase="induction",
            week=1 + (number - 1) // 2,
            starts_at=start + dt.timedelta(days=2 * (number - 1) + (number - 1) // 2),
            duration_min=120,
            status=Appointment.Status.COMPLETED if number <= completed else Appointment.Status.CANCELLED,
        )
    responder = (not stops and draws[5] < 0.6) or (stops and draws[5] < 0.15)
    relapses = responder and draws[6] < 0.45
    relapse_week = 9 + int(draws[10] * 3)
    baseline = {"phq9": 15 + int(draws[7] * 9), "gad7": 10 + int(draws[8] * 8)}
    first = start - dt.timedelta(days=1)
    last_week = 7 if stops else 13
    for week in range(last_week + 1):
        # Weekly for 8 weeks, then every two weeks.
        days = 7 * week if week <= 7 else 49 + 14 * (week - 7) + int(draws[9] * 5)
        when = first + dt.timedelta(days=days, hours=3)
        if when > ctx.now:
            break
        for instrument_id in ("phq9", "gad7"):
            base = baseline[instrument_id]
            if week == 0:
                total = base
            elif relapses and week >= relapse_week:
                total = round(base * 0.8)
            elif responder:
                # Half of the responders go on to remission (illustrative).
                total = round(base * (1 - min(week, 3) * (0.27 if draws[11] < 0.5 else 0.2)))
            else:
                total = round(base * (1 - min(week, 3) * 0.05))
            submit_questionnaire(
                patient=patient,
                instrument_id=instrument_id,
                answers=_answers(instrument_id, max(0, min(total, 24 if instrument_id == "phq9" else 21))),
                idempotency_key=f"demo-course-{instrument_id}-{week}",
                now=when,
                announce=False,
            )
    evaluate_course_signals(patient=patient, now=ctx.now, whole_history=True)
