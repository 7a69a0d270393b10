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
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ketacare.clinics.selectors import opening_intervals
from ketacare.core import monitoring
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
            local_start = (
                # The first patient (in the chair today) began eight days ago, mid-induction; the others
                # fifteen days ago, their six infusions or first weeks done.
                (ctx.now - dt.timedelta(days=8 if index == 0 else 15))
                .astimezone(zone)
                .replace(hour=9 + index, minute=0, second=0, microsecond=0)
            )
            plan = create_treatment_plan(
                patient=patient,
                user=prescriber,
                protocol_id=protocol,
                preset_id=None,
                first_session_at=local_start,
                # On the presets' own weekdays (Monday = 0): without them the sessions keep the spacing
                # but follow the first one's weekday, and a Thursday start books every Sunday.
                weekdays=[0, 2, 4] if protocol == "iv_ketamine" else [0, 3],
                weight_kg=weight if protocol == "iv_ketamine" else None,
                notes="Demo plan",
                # The demo replays history: the plan is made on its first session's day, as a clinic would.
                now=local_start,
            )
            _run_past_sessions(plan, prescriber, ctx.now, weight, drift, draws)
        if candidates:
            # One session in progress now: the first patient's next induction session (the plan began
            # eight days ago, so some are left), moved to now with its appointment, checked in 75 minutes
            # ago and dosed an hour ago, so it shows on the plan, the appointments page and the Today
            # board like any booked session.
            patient = candidates[0]
            live_states = [TreatmentSession.State.DOSING, TreatmentSession.State.OBSERVING]
            live_plan = TreatmentPlan.objects.filter(patient=patient).first()
            if (
                live_plan is not None
                and not TreatmentSession.objects.filter(patient=patient, state__in=live_states).exists()
            ):
                live = (
                    TreatmentSession.objects.filter(
                        plan=live_plan,
                        state=TreatmentSession.State.SCHEDULED,
                        scheduled_at__gte=ctx.now - dt.timedelta(hours=4),
                    )
                    .select_related("appointment")
                    .order_by("scheduled_at")
                    .first()
                )
                if live is not None:
                    checked_in_at = ctx.now - dt.timedelta(minutes=75)
                    if live.appointment is not None:
                        Appointment.objects.filter(pk=live.appointment.pk).update(starts_at=checked_in_at)
                    live.scheduled_at = checked_in_at
                    # Weighed today like any check-in: within the drift of the intake weight.
                    weight = _intake_weight(patient) or 70.0
                    checked_in = _checked_in_weight(_weight_drift(patient, "live session"), weight)
                    _run(live, prescriber, checked_in_at, checked_in, [0.5] * 64, discharged=False)
        for patient in induction_patients(ctx, key):
            _plan_induction(ctx, patient, prescriber, zone)


def _run_past_sessions(
    plan: TreatmentPlan,
    prescriber: Any,
    now: dt.datetime,
    weight: float,
    drift: random.Random,
    draws: list[float],
) -> None:
    """Fill the run-sheets of the plan's sessions held before `now` and done by then."""
    for session in plan.sessions.filter(scheduled_at__lt=now - SESSION_DONE_AFTER).order_by("scheduled_at"):
        checked_in = _checked_in_weight(drift, weight)
        _run(session, prescriber, session.scheduled_at, checked_in, draws, discharged=True)


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
    duration_min = (protocol.dose.infusion_minutes or 0) + monitoring.observation_minutes(protocol.route)
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
    dose_start = checked_in_at + dt.timedelta(minutes=15)
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
