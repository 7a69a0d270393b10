"""Demo data: treatment plans with past sessions on full run-sheets, one session in progress per clinic.

Every patient the patient list shows at Induction has a plan made through the plan service: the login
patients (one of them in the chair now, one with the induction series done), and the clinic's other
induction patients (among its first `INDUCTION_PATIENTS_PER_CLINIC`) part-way through induction, the
sessions already held done on full run-sheets and the rest booked ahead within the clinic's opening
hours, so the patient list, the plan page, the Today board and the patient's record agree.

Deterministic (ctx.rng for the login patients, a generator per patient for the others) and idempotent:
a patient who already has a plan is skipped. Clinical values are drawn around ordinary readings; the
plan, the dose and the schedule come from the core services.
A patient's weight is the one intake recorded (the plan doses from it), and each session's check-in
weight stays within `SESSION_WEIGHT_DRIFT_KG` of it; the REMS form is prefilled from the run-sheet by
the service discharge uses.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ketacare.clinics.selectors import opening_intervals
from ketacare.core.protocols import get_protocol
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.treatments.models import (
    Appointment,
    DoseAdministration,
    Observation,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)
from ketacare.treatments.selectors import ARRIVAL_TO_DOSE_MIN, appointment_minutes, nearby_dose
from ketacare.treatments.selectors.clinic import within_opening_hours
from ketacare.treatments.services import create_treatment_plan
from ketacare.treatments.services.rems import start_rems_form

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

PLANS_PER_CLINIC = 3
# How far a check-in weight strays from the intake weight (either way): two sessions differ by at most
# twice this, 1 kg (synthetic data, not a clinical fact).
SESSION_WEIGHT_DRIFT_KG = 0.5
# IV racemic ketamine in the demo: the protocol's standard 0.5 mg/kg.
IV_MG_PER_KG = 0.5
# Induction patients other than the login ones are planned among each clinic's first patients only, as
# the past courses are (ketacare/demo/outcomes.py), so `ketacare demo-data --patients 100000` stays a
# matter of minutes.
INDUCTION_PATIENTS_PER_CLINIC = 60
# A session held more than this long ago is done (discharged); a later one may still be under way.
SESSION_DONE_AFTER = dt.timedelta(hours=4)
# Each demo protocol on its default preset's weekdays (Monday = 0; protocols.toml, clinic practice),
# and how many days back its first session may be: the IV induction (6 infusions, 3 a week) takes
# 11-12 days and the esketamine one (8 sessions, 2 a week) 24-25, so a first session 1-9 (IV) or 1-20
# (esketamine) days back leaves at least one session done and at least one booked ahead.
INDUCTION_SCHEDULES = {
    "iv_ketamine": ([0, 2, 4], 9),
    "esketamine_trd": ([0, 3], 20),
}
# The session in the chair was checked in this long before now and dosed `DEMO_ARRIVAL_TO_DOSE` later.
LIVE_CHECKED_IN_AGO = dt.timedelta(minutes=75)
# Every demo run-sheet doses this long after check-in: the pre-dose time a booked visit allows for.
DEMO_ARRIVAL_TO_DOSE = dt.timedelta(minutes=ARRIVAL_TO_DOSE_MIN)
# Times of day on the clinic clock a course may be booked at, every half hour from 07:00 to 16:30; each
# plan takes one that keeps every session inside the clinic's opening hours on the plan's weekdays.
SESSION_TIMES = tuple(dt.time(hour, minute) for hour in range(7, 17) for minute in (0, 30))


def induction_patients(ctx: DemoContext, key: str) -> list[Any]:
    """The clinic's induction patients other than the login ones that the demo plans."""
    return [
        p
        for p in ctx.patients_by_clinic[key][:INDUCTION_PATIENTS_PER_CLINIC]
        if p.stage == Patient.Stage.INDUCTION and p.user_id is None
    ]


def _intake_weight(patient: Any) -> float | None:
    """The patient's latest valid weight from intake, if intake recorded one."""
    latest = facts.latest_weight(patient)
    return latest.weight_kg if latest is not None else None


def _weight_drift(patient: Any, purpose: str) -> random.Random:
    """A generator of this patient's check-in weight offsets, seeded by their record number.

    Its own generator (as the intake demo's), so ctx.rng's sequence, which later seeders share, does
    not depend on how many sessions a plan has.
    """
    return random.Random(f"{patient.medical_record_number}:{purpose}")  # noqa: S311 - synthetic data


def _checked_in_weight(rng: random.Random, weight: float) -> float:
    return round(weight + rng.uniform(-SESSION_WEIGHT_DRIFT_KG, SESSION_WEIGHT_DRIFT_KG), 1)


def seed_app(ctx: DemoContext) -> None:
    for key, clinic in ctx.clinics.items():
        prescriber = ctx.staff["prescriber" if key == "a" else "prescriber-b"]
        # The demo login patients (so they see their own appointments under /me/).
        candidates = [p for p in ctx.patients_by_clinic[key] if p.user_id is not None][:PLANS_PER_CLINIC]
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        # The clinic day of the session in the chair (checked in `LIVE_CHECKED_IN_AGO` before now).
        live_day = (ctx.now - LIVE_CHECKED_IN_AGO).astimezone(zone).date()
        live_start = dt.datetime.combine(live_day, dt.time(0), tzinfo=zone)
        for index, patient in enumerate(candidates):
            # Draw first so the random sequence does not depend on what already exists (the drawn
            # weight only stands in for a patient without an intake weight).
            drawn_weight = round(ctx.rng.uniform(55, 95), 1)
            draws = [ctx.rng.random() for _ in range(64)]
            if TreatmentPlan.objects.filter(patient=patient).exists():
                continue
            weight = _intake_weight(patient) or drawn_weight
            drift = _weight_drift(patient, "plan sessions")
            protocol = "esketamine_trd" if index % 2 else "iv_ketamine"
            # The first patient (in the chair today) began eight days before the live day, mid-induction;
            # the others fifteen days ago, their six infusions or first weeks done.
            first_day = (
                live_day - dt.timedelta(days=8)
                if index == 0
                else (ctx.now - dt.timedelta(days=15)).astimezone(zone).date()
            )
            local_start = dt.datetime.combine(first_day, dt.time(9 + index), tzinfo=zone)
            if index == 0:
                # The patient in the chair: a schedule with a session on the live day, so the session in
                # the chair is that day's own booking and their only dose that day.
                schedule = _live_schedule(clinic, get_protocol(protocol), live_day, local_start)
            else:
                # On the presets' own weekdays (Monday = 0): without them the sessions keep the spacing
                # but follow the first one's weekday, and a Thursday start books every Sunday.
                schedule = DemoSchedule(
                    preset_id=None, weekdays=[0, 2, 4] if protocol == "iv_ketamine" else [0, 3]
                )
            plan = create_treatment_plan(
                patient=patient,
                user=prescriber,
                protocol_id=protocol,
                preset_id=schedule.preset_id,
                first_session_at=local_start,
                weekdays=schedule.weekdays,
                session_count=schedule.session_count,
                weight_kg=weight if protocol == "iv_ketamine" else None,
                notes="Demo plan",
                book_outside_hours=schedule.outside_hours,
                # The demo replays history: the plan is made on its first session's day, as a clinic would.
                now=local_start,
            )
            # The live day's session is the one in the chair: it is not run as a past session.
            before = live_start if index == 0 else None
            _run_past_sessions(plan, prescriber, ctx.now, weight, drift, draws, before=before)
        if candidates:
            _start_live_session(candidates[0], prescriber, ctx.now, live_day)
        for patient in induction_patients(ctx, key):
            _plan_induction(ctx, patient, prescriber, zone)


def _run_past_sessions(
    plan: TreatmentPlan,
    prescriber: Any,
    now: dt.datetime,
    weight: float,
    drift: random.Random,
    draws: list[float],
    *,
    before: dt.datetime | None = None,
) -> None:
    """Fill the run-sheets of the plan's sessions held before `now` and done by then (and before
    `before`, when given)."""
    until = now - SESSION_DONE_AFTER if before is None else min(now - SESSION_DONE_AFTER, before)
    for session in plan.sessions.filter(scheduled_at__lt=until).order_by("scheduled_at"):
        checked_in = _checked_in_weight(drift, weight)
        _run(session, prescriber, session.scheduled_at, checked_in, draws, discharged=True)


@dataclass(frozen=True)
class DemoSchedule:
    """The plan service's schedule inputs for a demo plan (`create_treatment_plan`'s arguments)."""

    preset_id: str | None
    weekdays: list[int]
    session_count: int | None = None
    outside_hours: bool = False


def _live_schedule(
    clinic: Any, protocol: Any, live_day: dt.date, first_session_at: dt.datetime
) -> DemoSchedule:
    """A schedule for the patient in the chair with a session on ``live_day`` and every session at least
    two days from the next (so no dose comes within 24 hours of another, docs/decisions/0031).

    The protocol's own presets first (three a week, then two), on weekdays the clinic is open at the
    plan's time of day for the whole appointment. A clinic closed on the live day gets a custom series
    that ends with the live day's session, booked outside the hours as a clinic opening specially would
    (the plan says so); every later booking stays inside the hours.
    """
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    wall = first_session_at.astimezone(zone).time()
    intervals = opening_intervals(clinic)
    duration = appointment_minutes(clinic, protocol)
    today = live_day.weekday()

    def fits(day: int) -> bool:
        date = live_day + dt.timedelta(days=(day - today) % 7)
        at = dt.datetime.combine(date, wall, tzinfo=zone)
        return not intervals or within_opening_hours(intervals, at, duration)

    # Offsets from the live day's weekday whose gaps round the week are all two days or more.
    options = [
        (3, (0, 2, 4)),
        (3, (0, 2, 5)),
        (3, (0, 3, 5)),
        (2, (0, 3)),
        (2, (0, 4)),
        (2, (0, 2)),
        (2, (0, 5)),
    ]
    for per_week, offsets in options:
        days = sorted((today + offset) % 7 for offset in offsets)
        preset = next((p for p in protocol.presets if p.sessions_per_week == per_week and not p.custom), None)
        if preset is not None and all(fits(day) for day in days):
            return DemoSchedule(preset_id=preset.id, weekdays=days)
    for _, offsets in options:
        days = sorted((today + offset) % 7 for offset in offsets)
        if all(fits(day) for day in days if day != today):
            held = sum(
                1
                for n in range((live_day - first_session_at.astimezone(zone).date()).days + 1)
                if (first_session_at.astimezone(zone).date() + dt.timedelta(days=n)).weekday() in days
            )
            return DemoSchedule(preset_id="custom", weekdays=days, session_count=held, outside_hours=True)
    return DemoSchedule(preset_id=None, weekdays=[0, 2, 4])


def _start_live_session(patient: Any, prescriber: Any, now: dt.datetime, live_day: dt.date) -> None:
    """One session in progress now: the patient's booking on the live day (their plan has one there),
    moved to the check-in time `LIVE_CHECKED_IN_AGO` ago, checked in and dosed an hour ago, so it shows
    on the plan, the appointments page and the Today board like any booked session. Their other
    bookings stay where the plan put them, and no other dose of theirs is within 24 hours of it."""
    live_states = [TreatmentSession.State.DOSING, TreatmentSession.State.OBSERVING]
    plan = TreatmentPlan.objects.filter(patient=patient).first()
    if plan is None or TreatmentSession.objects.filter(patient=patient, state__in=live_states).exists():
        return
    zone = zoneinfo.ZoneInfo(plan.clinic.time_zone)
    day_start = dt.datetime.combine(live_day, dt.time(0), tzinfo=zone)
    live = (
        TreatmentSession.objects.filter(
            plan=plan,
            state=TreatmentSession.State.SCHEDULED,
            scheduled_at__gte=day_start,
            scheduled_at__lt=day_start + dt.timedelta(days=1),
        )
        .select_related("appointment", "clinic")
        .first()
    )
    checked_in_at = now - LIVE_CHECKED_IN_AGO
    if live is None or nearby_dose(live, checked_in_at + DEMO_ARRIVAL_TO_DOSE) is not None:
        return
    if live.appointment is not None:
        Appointment.objects.filter(pk=live.appointment.pk).update(starts_at=checked_in_at)
    live.scheduled_at = checked_in_at
    # Weighed today like any check-in: within the drift of the intake weight.
    weight = _intake_weight(patient) or 70.0
    checked_in = _checked_in_weight(_weight_drift(patient, "live session"), weight)
    _run(live, prescriber, checked_in_at, checked_in, [0.5] * 64, discharged=False)


def _plan_induction(ctx: DemoContext, patient: Any, prescriber: Any, zone: zoneinfo.ZoneInfo) -> None:
    """Plan a patient part-way through induction, as the prescriber planned it on the first session's day.

    Through the plan service (the intake demo gave the patient screening, a decision and consent, so
    the plan gate passes), on the protocol's weekdays at one time of day that keeps each session inside
    the clinic's opening hours and leaves none held in the last `SESSION_DONE_AFTER` (held, not done).
    """
    draw = random.Random(f"{patient.medical_record_number}:induction")  # noqa: S311 - synthetic data
    # About a third on esketamine, as the past courses (illustrative).
    protocol_id = "esketamine_trd" if draw.random() < 0.35 else "iv_ketamine"
    weekdays, most_days_back = INDUCTION_SCHEDULES[protocol_id]
    today = ctx.now.astimezone(zone).date()
    first_day = draw.choice(
        [
            today - dt.timedelta(days=back)
            for back in range(1, most_days_back + 1)
            if (today - dt.timedelta(days=back)).weekday() in weekdays
        ]
    )
    times = draw.sample(SESSION_TIMES, len(SESSION_TIMES))
    drawn_weight = round(draw.uniform(55, 95), 1)
    draws = [draw.random() for _ in range(64)]
    if TreatmentPlan.objects.filter(patient=patient).exists():
        return
    protocol = get_protocol(protocol_id)
    # The length of each appointment, as the plan service books it.
    duration_min = appointment_minutes(patient.clinic, protocol)
    intervals = opening_intervals(patient.clinic)
    # One week of the course from its first day: every weekday of the plan once.
    week = [first_day + dt.timedelta(days=n) for n in range(7)]
    session_days = [day for day in week if day.weekday() in weekdays]
    held_today = today.weekday() in weekdays
    for wall in times:
        if intervals and not all(
            within_opening_hours(intervals, dt.datetime.combine(day, wall, tzinfo=zone), duration_min)
            for day in session_days
        ):
            continue
        at_today = dt.datetime.combine(today, wall, tzinfo=zone)
        if held_today and ctx.now - SESSION_DONE_AFTER <= at_today <= ctx.now:
            continue
        break
    else:
        return  # no time of day fits the clinic's hours: nothing to book
    weight = _intake_weight(patient) or drawn_weight
    first_session_at = dt.datetime.combine(first_day, wall, tzinfo=zone)
    plan = create_treatment_plan(
        patient=patient,
        user=prescriber,
        protocol_id=protocol_id,
        preset_id=None,
        first_session_at=first_session_at,
        weekdays=weekdays,
        weight_kg=weight if protocol.dose.basis == "mg_per_kg" else None,
        notes="Demo plan",
        now=first_session_at,
    )
    _run_past_sessions(plan, prescriber, ctx.now, weight, _weight_drift(patient, "plan sessions"), draws)


def _run(
    session: TreatmentSession,
    user: Any,
    checked_in_at: dt.datetime,
    weight: float,
    draws: list[float],
    *,
    discharged: bool,
) -> None:
    """Fill a run-sheet: check-in, pre-dose vitals, dose(s), timed vitals, observations, discharge."""
    esketamine = session.route == "esketamine_in"
    common = {"clinic": session.clinic, "patient": session.patient, "session": session, "created_by": user}
    dose_start = checked_in_at + DEMO_ARRIVAL_TO_DOSE
    session.checked_in_at = checked_in_at
    session.checked_in_by = user
    session.weight_kg = Decimal(str(weight))
    session.fasting_confirmed = True
    session.ride_home_confirmed = True
    base_sys, base_dia = 112 + int(draws[0] * 18), 70 + int(draws[1] * 12)
    # The sheet's vital signs and observations are stored together at the end (one insert each).
    vitals = [
        VitalSign(
            kind="pre_dose",
            measured_at=checked_in_at + dt.timedelta(minutes=5),
            systolic_mmhg=base_sys,
            diastolic_mmhg=base_dia,
            heart_rate_bpm=64 + int(draws[2] * 20),
            spo2_pct=97 + int(draws[3] * 3),
            **common,
        )
    ]
    observations: list[Observation] = []
    if esketamine:
        amount = int(session.planned_dose_mg or 56)
        times = [dose_start + dt.timedelta(minutes=5 * n) for n in range(amount // 28)]
        for number, at in enumerate(times, start=1):
            DoseAdministration.objects.create(
                drug="esketamine",
                route=session.route,
                dose_mg=Decimal("28"),
                lot_number="DEMO-ESK-01",
                started_at=at,
                ended_at=at,
                device_number=number,
                **common,
            )
        dose_end = times[-1]
    else:
        dose_mg = (
            Decimal(str(round(IV_MG_PER_KG * weight, 2)))
            if session.planned_dose_mg is None
            else session.planned_dose_mg
        )
        dose_end = dose_start + dt.timedelta(minutes=40)
        now_bound = dose_end if discharged else None
        DoseAdministration.objects.create(
            drug="ketamine (racemic)",
            route=session.route,
            dose_mg=dose_mg,
            lot_number="DEMO-KET-01",
            started_at=dose_start,
            ended_at=now_bound or dose_end,
            **common,
        )
    session.dose_started_at = dose_start
    session.dose_ended_at = dose_end
    minutes = 125 if esketamine else 65
    stop = dose_end + dt.timedelta(minutes=minutes)
    if not discharged:
        stop = min(stop, checked_in_at + dt.timedelta(minutes=75))
    at, step = dose_start + dt.timedelta(minutes=15), 15
    i = 4
    while at <= stop:
        rise = 14 if at - dose_start <= dt.timedelta(minutes=45) else 4
        vitals.append(
            VitalSign(
                kind="in_session",
                measured_at=at,
                systolic_mmhg=base_sys + rise + int(draws[i % 64] * 8),
                diastolic_mmhg=base_dia + rise // 2 + int(draws[(i + 1) % 64] * 5),
                heart_rate_bpm=70 + int(draws[(i + 2) % 64] * 15),
                spo2_pct=96 + int(draws[(i + 3) % 64] * 4),
                **common,
            )
        )
        late = at - dose_end >= dt.timedelta(minutes=45)
        observations.append(
            Observation(
                observed_at=at,
                moaas_score=5 if late else 4,
                dissociation="none" if late else "mild",
                **common,
            )
        )
        at += dt.timedelta(minutes=step)
        i += 4
    VitalSign.objects.bulk_create(vitals)
    Observation.objects.bulk_create(observations)
    if discharged:
        session.state = TreatmentSession.State.DISCHARGED
        session.discharged_at = stop
        session.discharged_by = user
        session.ride_present = True
        session.instructions_given = True
        if session.appointment is not None:
            session.appointment.status = "completed"
            session.appointment.save(update_fields=["status"])
    else:
        session.state = (
            TreatmentSession.State.OBSERVING if dose_end <= stop else TreatmentSession.State.DOSING
        )
    session.save()
    if discharged and esketamine:
        # Prefilled from this run-sheet's vital signs and observations, as discharge does.
        start_rems_form(session, stop)
