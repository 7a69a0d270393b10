"""Demo data for the outcomes dashboard: past courses with responders, non-responders, relapses, drop-outs.

The treatments demo gives the patients in induction a current plan, and the questionnaires demo scores
dosed patients; what the dashboard still lacks is a history. For patients in maintenance,
completed or discontinued without a plan, this adds a course begun 70-300 days ago, its dose laid out
by the core, with its six induction appointments, each held one with its discharged session and dose(s)
by the plan's route (demo history stored in bulk, ketacare/demo/past_sessions.py; a session since the
clinic's controlled-drug register began names the register's lot, and the register seeder, which runs
after this one, draws it), on days and times the clinic is open, and submits weekly PHQ-9 and GAD-7
scores (through the questionnaires service) with a synthetic mix: about half respond, some of them
lose the response later (the core course rule then raises its alert), and the discontinued stop before
session 6. Illustrative synthetic values, not clinical figures.
The scores of a course are stored without announcing each one, and the course rules then run once
over the patient's whole series: the same alerts as one run per score, at a fraction of the cost.

Each course's patient is given an intake (screening with a decision, consent, the course's baseline
PHQ-9) three weeks before its first session, through the intake services (ketacare/demo/intake.py).
A completed or discontinued patient's course has ended: the prescriber ended it through the plan
service, saying how and why. A maintenance patient completed induction, and
their plan stays active with a maintenance policy (weekly or every 2 weeks) and the next
`MAINTENANCE_BOOKED_AHEAD` maintenance sessions booked through the plan service in the clinic's
opening hours, as a prescriber books them: the patient list, the plan, the Today board and the
patient's own appointments then agree that the patient is in maintenance.

Deterministic (ctx.rng, drawn before any existence check) and idempotent: a patient who already
has a plan gets no other course, and every score has a fixed idempotency key. A maintenance patient's
demo plan with nothing booked ahead (the demo seeded again weeks later) gets its next sessions booked.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ketacare.clinics.selectors import opening_intervals
from ketacare.core import course
from ketacare.core.protocols import get_protocol
from ketacare.demo import intake, register
from ketacare.demo.past_sessions import PAST_COURSE_NOTES, open_session_starts, seed_discharged_sessions
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.treatments.models import Appointment, TreatmentPlan
from ketacare.treatments.selectors import age_years, current_plan
from ketacare.treatments.selectors.clinic import within_opening_hours
from ketacare.treatments.services import book_maintenance_session, end_treatment_plan
from ketacare.vigilance.course_signals import evaluate_course_signals

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext


HISTORY_STAGES = ("maintenance", "completed", "discontinued")
# Past courses go to the first patients of each clinic only: enough for a meaningful dashboard,
# while `ketacare demo-data --patients 100000` stays a matter of minutes (the benchmark seeds its
# own scores in bulk).
HISTORY_PATIENTS_PER_CLINIC = 60
# A maintenance patient has the next sessions booked, as a clinic books a few ahead (illustrative, not a
# clinical fact). The plan's policy sets the interval, one each demo protocol allows
# (protocols.toml [protocol.maintenance] interval_weeks): IV weekly [Phillips2019] or every 2 weeks
# (clinic practice); esketamine weekly or every 2 weeks from week 9 [MIMS-HK] [HCP-Dose2].
MAINTENANCE_BOOKED_AHEAD = 3
# Why a demo course ended, as a prescriber writes it (illustrative synthetic text); "" is none recorded.
END_REASONS: dict[str, tuple[str, ...]] = {
    Patient.Stage.COMPLETED: (
        "Induction complete; at the review the patient chose to stop and keep the weekly scores.",
        "Course complete and improved; no maintenance for now, back to the referring psychiatrist.",
    ),
    Patient.Stage.DISCONTINUED: (
        "Stopped at the patient's request: the dissociation during sessions was too unpleasant.",
        "No meaningful improvement over the sessions held; referred back to the psychiatrist.",
        "Moved out of the area; care handed to a clinic near the new home.",
        "",
    ),
}
NURSES = {"a": "nurse", "b": "nurse-b"}  # who ran each clinic's past sessions
# The length of a past-course appointment (minutes), the whole of which is inside the clinic's hours.
PAST_APPOINTMENT_MIN = 120
MAINTENANCE_INTERVAL_WEEKS = {
    TreatmentPlan.MaintenancePolicy.WEEKLY: 1,
    TreatmentPlan.MaintenancePolicy.EVERY_2_WEEKS: 2,
}


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
        register_from = register.register_start(clinic, ctx.now)
        for index, patient in enumerate(ctx.patients_by_clinic[key][:HISTORY_PATIENTS_PER_CLINIC]):
            draws = [ctx.rng.random() for _ in range(16)]
            if patient.stage not in HISTORY_STAGES:
                continue
            plan = TreatmentPlan.objects.filter(patient=patient).order_by("created_at").first()
            if plan is None:
                _past_course(ctx, key, patient, prescriber, zone, index, draws, register_from)
            elif plan.notes == PAST_COURSE_NOTES:
                # A course seeded before its held sessions were stored: each held one, discharged with its dose.
                seed_discharged_sessions(
                    plan, nurse=ctx.staff[NURSES[key]], zone=zone, register_from=register_from
                )
            if (
                plan is not None
                and plan.notes == PAST_COURSE_NOTES
                and (first := plan.appointments.order_by("starts_at").first())
            ):
                # A course seeded before its patients were given an intake: the intake, as it would have been.
                intake.seed_before_course(
                    ctx,
                    key,
                    patient,
                    index=index,
                    first_session_at=first.starts_at,
                    phq9_answers=_baseline_answers(draws),
                )
            if patient.stage == Patient.Stage.MAINTENANCE:
                _keep_maintenance_booked(ctx, patient, prescriber, zone, draws)


def _baseline(draws: list[float]) -> dict[str, int]:
    return {"phq9": 15 + int(draws[7] * 9), "gad7": 10 + int(draws[8] * 8)}


def _baseline_answers(draws: list[float]) -> list[int]:
    """The course's baseline PHQ-9 answers in form order: the intake's baseline is the same score."""
    return list(_answers("phq9", _baseline(draws)["phq9"]).values())


def _past_course(
    ctx: DemoContext,
    key: str,
    patient: Any,
    prescriber: Any,
    zone: zoneinfo.ZoneInfo,
    index: int,
    draws: list[float],
    register_from: dt.datetime,
) -> None:
    start = (ctx.now - dt.timedelta(days=70 + int(draws[0] * 230))).astimezone(zone)
    start = start.replace(hour=9 + index % 6, minute=0, second=0, microsecond=0)
    # Two or three sessions a week at one time of day, each moved to the next day the clinic is open then.
    starts = open_session_starts(
        patient.clinic,
        zone,
        [start + dt.timedelta(days=2 * n + n // 2) for n in range(6)],
        PAST_APPOINTMENT_MIN,
    )
    start = starts[0]
    # Screening, a decision, consent and the baseline weeks before the course, through the intake services;
    # the plan then doses from the intake weight.
    intake.seed_before_course(
        ctx, key, patient, index=index, first_session_at=start, phq9_answers=_baseline_answers(draws)
    )
    route = "esketamine_in" if draws[1] < 0.35 else "iv"
    protocol_id = "esketamine_trd" if route == "esketamine_in" else "iv_ketamine"
    preset_id = "label" if route == "esketamine_in" else "3_per_week_2_weeks"
    in_maintenance = patient.stage == Patient.Stage.MAINTENANCE
    # The other features' demo seeders (which react to doses) leave a past course's doses out
    # (`doses_outside_past_courses`), so they see nothing new on a second run. A maintenance patient's
    # course goes on (the maintenance sessions are booked on it); every other one has ended.
    plan = TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id=protocol_id,
        preset_id=preset_id,
        route=route,
        review_after_session=6,
        review_not_before=start + dt.timedelta(days=14),
        # Weekly for 40% of maintenance patients, every 2 weeks for the rest (an illustrative mix).
        maintenance_policy=(
            (
                TreatmentPlan.MaintenancePolicy.WEEKLY
                if draws[12] < 0.4
                else TreatmentPlan.MaintenancePolicy.EVERY_2_WEEKS
            )
            if in_maintenance
            else TreatmentPlan.MaintenancePolicy.DECIDE_AT_REVIEW
        ),
        notes=PAST_COURSE_NOTES,
        # Active, as made: a course that has ended is ended through the plan service below (_end_course).
        status=TreatmentPlan.Status.ACTIVE,
        created_by=prescriber,
        # A patient without an intake weight is given one drawn as the treatments demo draws it (55-95 kg).
        **_planned_dose(
            patient, protocol_id, preset_id, start, zone, fallback_weight_kg=round(55 + draws[13] * 40, 1)
        ),
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=start)
    # Drop-out: a discontinued patient stopped after 1-5 sessions (illustrative); a completed patient, and
    # a patient in maintenance, completed induction.
    stops = patient.stage == Patient.Stage.DISCONTINUED
    completed = 1 + int(draws[4] * 5) if stops else 6
    for number in range(1, 7):
        Appointment.objects.create(
            clinic=patient.clinic,
            patient=patient,
            plan=plan,
            number=number,
            phase="induction",
            week=1 + (number - 1) // 2,
            starts_at=starts[number - 1],
            duration_min=PAST_APPOINTMENT_MIN,
            status=Appointment.Status.COMPLETED if number <= completed else Appointment.Status.CANCELLED,
        )
    seed_discharged_sessions(plan, nurse=ctx.staff[NURSES[key]], zone=zone, register_from=register_from)
    if not in_maintenance:
        _end_course(plan, prescriber, patient.stage, draws)
    responder = (not stops and draws[5] < 0.6) or (stops and draws[5] < 0.15)
    relapses = responder and draws[6] < 0.45
    relapse_week = 9 + int(draws[10] * 3)
    baseline = _baseline(draws)
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


def _end_course(plan: TreatmentPlan, prescriber: Any, stage: str, draws: list[float]) -> None:
    """End the course through the plan service as the prescriber did: a completed one at the review a
    week after its last session, a discontinued one a few days after the last session held, each with
    one of `END_REASONS` (a discontinued course sometimes without a reason recorded)."""
    last = plan.appointments.filter(status=Appointment.Status.COMPLETED).order_by("-starts_at").first()
    assert last is not None  # noqa: S101 - every demo course holds its first session
    after = dt.timedelta(days=7 if stage == Patient.Stage.COMPLETED else 3)
    reasons = END_REASONS[stage]
    end_treatment_plan(
        plan=plan,
        user=prescriber,
        ended_as=stage,
        reason=reasons[int(draws[2] * len(reasons))],
        now=last.starts_at + after,
    )


def _planned_dose(
    patient: Any,
    protocol_id: str,
    preset_id: str,
    start: dt.datetime,
    zone: zoneinfo.ZoneInfo,
    *,
    fallback_weight_kg: float,
) -> dict[str, Any]:
    """The plan's dose fields as the plan service stores them, from the core's layout of the course.

    A weight-based dose uses the intake weight (`fallback_weight_kg` stands in for a patient without
    one) and the protocol's standard mg/kg.
    """
    protocol = get_protocol(protocol_id)
    per_kg = protocol.dose.basis == "mg_per_kg"
    weight_kg = None
    if per_kg:
        weighed = facts.latest_weight(patient)
        weight_kg = float(weighed.weight_kg) if weighed is not None else fallback_weight_kg
    layout = course.plan_sessions(
        protocol_id,
        start=start,
        tz=zone.key,
        preset=preset_id,
        age_years=age_years(patient, start.astimezone(zone).date()),
        weight_kg=weight_kg,
    )
    first = layout.sessions[0]
    return {
        "weight_kg": Decimal(str(weight_kg)) if weight_kg is not None else None,
        "mg_per_kg": Decimal(str(protocol.dose.standard_mg_per_kg)) if per_kg else None,
        "dose_mg": Decimal(str(first.dose_mg)) if first.dose_mg is not None else None,
        "devices": (
            course.esketamine_devices(first.dose_mg)
            if protocol.device is not None and first.dose_mg is not None
            else None
        ),
        "dose_rule": first.dose_rule[:200],
    }


def _keep_maintenance_booked(
    ctx: DemoContext, patient: Any, prescriber: Any, zone: zoneinfo.ZoneInfo, draws: list[float]
) -> None:
    """Book the next maintenance sessions on the patient's demo course unless some are booked ahead.

    Through the plan service, as a prescriber books them: on one weekday, at the time of day of the
    course's sessions, every interval of the plan's policy, the first within one interval from
    tomorrow, each inside the clinic's opening hours.
    """
    plan = current_plan(patient)
    if (
        plan is None
        or plan.notes != PAST_COURSE_NOTES
        or plan.maintenance_policy not in MAINTENANCE_INTERVAL_WEEKS
    ):
        return
    booked_ahead = plan.appointments.filter(
        phase="maintenance", status=Appointment.Status.SCHEDULED, starts_at__gt=ctx.now
    )
    if booked_ahead.exists():
        return
    interval_weeks = MAINTENANCE_INTERVAL_WEEKS[TreatmentPlan.MaintenancePolicy(plan.maintenance_policy)]
    course_appointments = plan.appointments.order_by("starts_at")
    first, last = course_appointments.first(), course_appointments.last()
    if first is None or last is None:
        return
    wall = first.starts_at.astimezone(zone).time()
    intervals = opening_intervals(plan.clinic)
    day = ctx.now.astimezone(zone).date() + dt.timedelta(days=1 + int(draws[14] * 7 * interval_weeks))
    # Opening hours repeat weekly, so a week of days finds the weekday that holds the session, if any.
    for _ in range(7):
        starts = dt.datetime.combine(day, wall, tzinfo=zone)
        if not intervals or within_opening_hours(intervals, starts, last.duration_min):
            break
        day += dt.timedelta(days=1)
    else:
        return  # the clinic is never open for a whole session at this time of day: nothing to book
    for number in range(MAINTENANCE_BOOKED_AHEAD):
        book_maintenance_session(
            plan=plan,
            user=prescriber,
            starts_at=dt.datetime.combine(
                day + dt.timedelta(weeks=interval_weeks * number), wall, tzinfo=zone
            ),
            now=ctx.now,
        )
