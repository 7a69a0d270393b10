"""Demo history: the sessions a demo past course held, each discharged with its dose(s), stored in bulk.

A past course (ketacare/demo/outcomes.py) has six induction appointments; each one held gets a discharged
treatment session with the dose the plan set, by its route: one IV infusion of the plan's mg/kg x
weight, or the plan's esketamine dose in 28 mg nasal devices 5 minutes apart. The run-sheet services
would take a fifth of a second a session (check-in, vital signs, observations, discharge); this is
history, not a visit being run, so the rows are written in bulk, as `bench/bench_outcomes.py` writes
them, with a short record of the visit (the pre-dose vital signs, two sets after the dose and the
sedation and dissociation observed before discharge, all within normal limits). Each dose is checked
first by the core's rules of the run-sheet (``core.course.esketamine_devices``, ``core.pathway.dose_plausibility``): a dose the
run-sheet would take only with a written reason is refused here. Each session's doses carry the lot
in use when it began (``demo.register.lot_in_use``): a lot of the clinic's controlled-drug register,
which draws them when it is seeded after this, or ``demo.register.HISTORY_LOT`` for a session before
the register began. The funnel row of the plan is counted again as a discharge counts it.

The schedule: `open_session_starts` moves each session to the next day the clinic is open for the
whole appointment at that time of day, so a past course keeps the clinic's opening hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from ketacare.clinics.selectors import opening_intervals
from ketacare.core import course, pathway
from ketacare.core.protocols import get_protocol, get_route
from ketacare.demo.register import lot_in_use
from ketacare.outcomes.funnel_sql import store_plan_funnels
from ketacare.treatments.models import (
    Appointment,
    DoseAdministration,
    Observation,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)
from ketacare.treatments.selectors import ARRIVAL_TO_DOSE_MIN, age_years, patient_doses
from ketacare.treatments.selectors.clinic import within_opening_hours

PAST_COURSE_NOTES = "Demo: past course"
# The record of each past visit (illustrative synthetic readings, all inside the route's limits): vital
# signs (kind, minutes after the dose began, systolic, diastolic, heart rate, SpO2) and observations
# (minutes after dosing ended, MOAA/S, dissociation).
HISTORY_VITALS = (
    (VitalSign.Kind.PRE_DOSE, -10, 118, 76, 72, 98),
    (VitalSign.Kind.IN_SESSION, 15, 130, 82, 78, 97),
    (VitalSign.Kind.IN_SESSION, 45, 122, 78, 74, 98),
)
HISTORY_OBSERVATIONS = ((15, 4, Observation.Dissociation.MILD), (40, 5, Observation.Dissociation.NONE))


def open_session_starts(
    clinic: Any, zone: zoneinfo.ZoneInfo, starts: list[dt.datetime], duration_min: int
) -> list[dt.datetime]:
    """Each of ``starts`` (in order) moved to the first day, from its own and after the one before it,
    on which the clinic is open for the whole appointment at that time of day (as booked when none is)."""
    intervals = opening_intervals(clinic)
    placed: list[dt.datetime] = []
    for start in starts:
        at = start.astimezone(zone)
        if placed and at.date() <= placed[-1].date():
            at = dt.datetime.combine(placed[-1].date() + dt.timedelta(days=1), at.time(), tzinfo=zone)
        for _ in range(7):  # opening hours repeat weekly
            if not intervals or within_opening_hours(intervals, at, duration_min):
                break
            at = dt.datetime.combine(at.date() + dt.timedelta(days=1), at.time(), tzinfo=zone)
        else:
            raise ValueError(f"starts_at {at:%H:%M}: the clinic is never open for {duration_min} min then")
        placed.append(at)
    return placed


def _session_doses(plan: TreatmentPlan, number: int, *, age: int) -> list[float]:
    """The amounts given at session ``number`` of the plan: one infusion, or one entry a nasal device.

    The plan's dose (the core's layout of the course, as the plan stores it), checked as the run-sheet
    checks a finished session: ValueError naming the dose when it would need a written reason.
    """
    protocol = get_protocol(plan.protocol_id)
    if plan.dose_mg is None:
        raise ValueError(f"dose_mg: past course plan {plan.pk} has no planned dose")
    total = float(plan.dose_mg)
    weight = float(plan.weight_kg) if plan.weight_kg is not None else None
    if protocol.dose.basis == "mg_per_kg":
        assert plan.mg_per_kg is not None and weight is not None  # noqa: S101 - stored with the plan
        total = course.dose_mg(float(plan.mg_per_kg), weight, protocol_id=protocol.id)
    check = pathway.dose_plausibility(
        protocol.id, total_mg=total, weight_kg=weight, age_years=age, finished=True
    )
    if check.needs_reason:
        raise ValueError(f"dose_mg session {number}: " + "; ".join(m for _, m in check.issues))
    if protocol.device is not None:
        return [float(protocol.device.mg_per_device)] * course.esketamine_devices(total)
    return [total]


def seed_discharged_sessions(
    plan: TreatmentPlan, *, nurse: Any, zone: zoneinfo.ZoneInfo, register_from: dt.datetime
) -> int:
    """Give each completed appointment of the plan without a session its discharged session and doses,
    from the lot in use then at a clinic whose register began at ``register_from``.

    Idempotent (an appointment with a session is left as it is); returns how many sessions were stored.
    """
    held = list(
        plan.appointments.filter(status=Appointment.Status.COMPLETED, session__isnull=True).order_by(
            "starts_at"
        )
    )
    if not held:
        return 0
    protocol = get_protocol(plan.protocol_id)
    observe = dt.timedelta(minutes=get_route(plan.route).observation.default_minutes)
    device_wait = dt.timedelta(minutes=protocol.device.wait_between_devices_minutes if protocol.device else 0)
    infusion = dt.timedelta(minutes=protocol.dose.infusion_minutes or 0)
    sessions: list[TreatmentSession] = []
    doses: list[DoseAdministration] = []
    vitals: list[VitalSign] = []
    observations: list[Observation] = []
    for appointment in held:
        age = age_years(plan.patient, appointment.starts_at.astimezone(zone).date())
        amounts = _session_doses(plan, appointment.number, age=age)
        lot = lot_in_use(plan.route, appointment.starts_at, register_from)
        dose_start = appointment.starts_at + dt.timedelta(minutes=ARRIVAL_TO_DOSE_MIN)
        dose_end = dose_start + (device_wait * (len(amounts) - 1) if protocol.device else infusion)
        session = TreatmentSession(
            clinic_id=plan.clinic_id,
            patient_id=plan.patient_id,
            plan=plan,
            appointment=appointment,
            protocol_id=plan.protocol_id,
            route=plan.route,
            scheduled_at=appointment.starts_at,
            planned_dose_mg=Decimal(str(sum(amounts))),
            state=TreatmentSession.State.DISCHARGED,
            checked_in_at=appointment.starts_at,
            checked_in_by=nurse,
            weight_kg=plan.weight_kg,
            fasting_confirmed=True,
            ride_home_confirmed=True,
            dose_started_at=dose_start,
            dose_ended_at=dose_end,
            discharged_at=dose_end + observe,
            discharged_by=nurse,
            ride_present=True,
            instructions_given=True,
            created_by=nurse,
        )
        sessions.append(session)
        common = {
            "clinic_id": plan.clinic_id,
            "patient_id": plan.patient_id,
            "session": session,
            "created_by": nurse,
        }
        vitals += [
            VitalSign(
                kind=kind,
                measured_at=dose_start + dt.timedelta(minutes=minutes),
                systolic_mmhg=systolic,
                diastolic_mmhg=diastolic,
                heart_rate_bpm=heart_rate,
                spo2_pct=spo2,
                **common,
            )
            for kind, minutes, systolic, diastolic, heart_rate, spo2 in HISTORY_VITALS
        ]
        observations += [
            Observation(
                observed_at=dose_end + dt.timedelta(minutes=minutes),
                moaas_score=moaas,
                dissociation=dissociation,
                **common,
            )
            for minutes, moaas, dissociation in HISTORY_OBSERVATIONS
        ]
        for device, amount in enumerate(amounts, start=1):
            at = dose_start + device_wait * (device - 1)
            doses.append(
                DoseAdministration(
                    drug=protocol.drug,
                    route=plan.route,
                    dose_mg=Decimal(str(amount)),
                    lot_number=lot,
                    started_at=at,
                    ended_at=at if protocol.device else dose_end,
                    device_number=device if protocol.device else None,
                    **common,
                )
            )
    TreatmentSession.objects.bulk_create(sessions)
    DoseAdministration.objects.bulk_create(doses)
    VitalSign.objects.bulk_create(vitals)
    Observation.objects.bulk_create(observations)
    # Stored without their save signals: the plan's funnel row is counted again, as a discharge does.
    store_plan_funnels(plan_id=plan.pk)
    return len(sessions)


def doses_outside_past_courses(patient: Any, *, now: dt.datetime) -> list[Any]:
    """The patient's doses (``patient_doses``) other than those of a demo past course: the demo's
    check-ins, scores and journal follow the doses of the current course, and the past course brings
    its own scores, so seeding again after a past course was stored adds nothing."""
    past = {
        str(public_id)
        for public_id in TreatmentSession.objects.filter(
            patient=patient, plan__notes=PAST_COURSE_NOTES
        ).values_list("public_id", flat=True)
    }
    return [d for d in patient_doses(patient, now=now) if d.session_public_id not in past]
