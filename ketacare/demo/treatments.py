"""Demo data: treatment plans with past sessions on full run-sheets, one session in progress per clinic.

Deterministic (ctx.rng) and idempotent: a patient who already has a plan is skipped. Clinical values
are drawn around ordinary readings; the plan, the dose and the schedule come from the core services.
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

from ketacare.intake.selectors import intake_summary
from ketacare.treatments.models import (
    Appointment,
    DoseAdministration,
    Observation,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)
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


def _intake_weight(patient: Any) -> float | None:
    """The patient's latest valid weight from intake, if intake recorded one."""
    latest = intake_summary(patient).latest_weight
    return float(latest.weight_kg) if latest is not None else None


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
            for session in plan.sessions.filter(scheduled_at__lt=ctx.now - dt.timedelta(hours=4)).order_by(
                "scheduled_at"
            ):
                checked_in = _checked_in_weight(drift, weight)
                _run(session, prescriber, session.scheduled_at, checked_in, draws, discharged=True)
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
    VitalSign.objects.create(
        kind="pre_dose",
        measured_at=checked_in_at + dt.timedelta(minutes=5),
        systolic_mmhg=base_sys,
        diastolic_mmhg=base_dia,
        heart_rate_bpm=64 + int(draws[2] * 20),
        spo2_pct=97 + int(draws[3] * 3),
        **common,
    )
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
        VitalSign.objects.create(
            kind="in_session",
            measured_at=at,
            systolic_mmhg=base_sys + rise + int(draws[i % 64] * 8),
            diastolic_mmhg=base_dia + rise // 2 + int(draws[(i + 1) % 64] * 5),
            heart_rate_bpm=70 + int(draws[(i + 2) % 64] * 15),
            spo2_pct=96 + int(draws[(i + 3) % 64] * 4),
            **common,
        )
        late = at - dose_end >= dt.timedelta(minutes=45)
        Observation.objects.create(
            observed_at=at,
            moaas_score=5 if late else 4,
            dissociation="none" if late else "mild",
            **common,
        )
        at += dt.timedelta(minutes=step)
        i += 4
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
