"""Sessions in every state for tests, built directly (times in the past where a test needs them)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.treatments.models import (
    Appointment,
    DoseAdministration,
    Observation,
    RemsForm,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)

PROTOCOL_OF = {"iv": "iv_ketamine", "esketamine_in": "esketamine_trd"}
# Plans here are built without intake's records (a floor away): as if the prescriber had overridden
# the missing consent, so the dose go/no-go holds for consent only once the patient withdraws one.
TEST_PLAN_GATE_ITEMS = [{"code": "consent_missing", "message": "No valid consent (test plan)."}]


def staff_of(patient: Any) -> Any:
    """The patient's primary clinician (a prescriber of their clinic in the personas)."""
    return patient.primary_clinician


def make_session(
    patient: Any,
    *,
    route: str = "iv",
    state: str = "scheduled",
    minutes_since_dose_end: int = 30,
    hold: bool = False,
    now: dt.datetime | None = None,
) -> TreatmentSession:
    """A session of `patient` in `state`; later states carry coherent check-in, dose and vitals rows.

    The session belongs to an active plan (built directly, as if a prescriber had passed the plan gate)
    and is scheduled on today's date in the clinic's zone, so the dose go/no-go sees a due session.
    """
    now = now or timezone.now()
    user = staff_of(patient)
    planned = Decimal("35") if route == "iv" else Decimal("56")
    scheduled_at = now - dt.timedelta(minutes=minutes_since_dose_end + 90)
    zone = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    if scheduled_at.astimezone(zone).date() != now.astimezone(zone).date():
        # Just after midnight in the clinic: keep the session on today's date.
        scheduled_at = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0, 1), tzinfo=zone)
    plan, appointment = _plan_and_appointment(patient, route=route, starts_at=scheduled_at, dose=planned)
    session = TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        plan=plan,
        appointment=appointment,
        protocol_id=PROTOCOL_OF[route],
        route=route,
        scheduled_at=scheduled_at,
        planned_dose_mg=planned,
        created_by=user,
    )
    if state == "scheduled":
        return session
    dose_end = now - dt.timedelta(minutes=minutes_since_dose_end)
    dose_start = dose_end - dt.timedelta(minutes=40 if route == "iv" else 5)
    session.checked_in_at = min(dose_start - dt.timedelta(minutes=20), now)
    session.checked_in_by = user
    session.weight_kg = Decimal("70.0")
    session.fasting_confirmed = True
    session.ride_home_confirmed = True
    session.state = "checked_in"
    common = {"clinic": patient.clinic, "patient": patient, "session": session, "created_by": user}
    VitalSign.objects.create(
        kind="pre_dose",
        measured_at=session.checked_in_at + dt.timedelta(minutes=5),
        systolic_mmhg=160 if hold else 122,
        diastolic_mmhg=95 if hold else 78,
        heart_rate_bpm=72,
        spo2_pct=98,
        flags=[{"code": "bp_high", "level": "hold", "field": "systolic_mmhg", "message": "BP high"}]
        if hold
        else [],
        **common,
    )
    session.hold = hold
    if state == "checked_in":
        session.save()
        return session
    if route == "iv":
        DoseAdministration.objects.create(
            drug="ketamine (racemic)",
            route=route,
            dose_mg=Decimal("35"),
            lot_number="LOT-1",
            started_at=dose_start,
            ended_at=None if state == "dosing" else dose_end,
            **common,
        )
    else:
        for number, at in enumerate((dose_start, dose_end), start=1):
            DoseAdministration.objects.create(
                drug="esketamine",
                route=route,
                dose_mg=Decimal("28"),
                lot_number="LOT-1",
                started_at=at,
                ended_at=at,
                device_number=number,
                **common,
            )
    session.dose_started_at = dose_start
    session.state = "dosing"
    if state == "dosing":
        session.save()
        return session
    session.dose_ended_at = dose_end
    session.state = "observing"
    VitalSign.objects.create(
        kind="in_session",
        measured_at=min(now, dose_end + dt.timedelta(minutes=minutes_since_dose_end - 1)),
        systolic_mmhg=126,
        diastolic_mmhg=80,
        heart_rate_bpm=74,
        spo2_pct=98,
        **common,
    )
    Observation.objects.create(
        observed_at=min(now, dose_end + dt.timedelta(minutes=minutes_since_dose_end - 1)),
        moaas_score=5,
        dissociation="none",
        **common,
    )
    if state == "observing":
        session.save()
        return session
    session.state = "discharged"
    session.discharged_at = now
    session.discharged_by = user
    session.ride_present = True
    session.instructions_given = True
    session.save()
    if route == "esketamine_in":
        RemsForm.objects.create(
            clinic=patient.clinic,
            patient=patient,
            session=session,
            due_at=dose_start + dt.timedelta(days=7),
            dose_mg=56,
            total_monitoring_min=125,
        )
    return session


def _plan_and_appointment(
    patient: Any, *, route: str, starts_at: dt.datetime, dose: Decimal
) -> tuple[TreatmentPlan, Appointment]:
    """The patient's active plan for `route` (created once) and a new appointment on it at `starts_at`."""
    user = staff_of(patient)
    plan = TreatmentPlan.objects.filter(patient=patient, route=route, status="active").first()
    if plan is None:
        plan = TreatmentPlan.objects.create(
            clinic=patient.clinic,
            patient=patient,
            protocol_id=PROTOCOL_OF[route],
            preset_id="",
            route=route,
            dose_mg=dose,
            review_after_session=6,
            review_not_before=starts_at + dt.timedelta(days=14),
            created_by=user,
            gate_overridden_items=TEST_PLAN_GATE_ITEMS,
        )
        earliest = (
            TreatmentPlan.objects.filter(patient=patient, status="active")
            .exclude(pk=plan.pk)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if earliest is not None:
            # A plan a test made through the service stays the patient's current plan (the plan page's).
            TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=earliest - dt.timedelta(seconds=1))
            plan.refresh_from_db()
    number = (plan.appointments.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    appointment = Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        plan=plan,
        number=number,
        phase="induction",
        week=1,
        starts_at=starts_at,
        duration_min=120,
        dose_mg=dose,
    )
    return plan, appointment


def make_planned_session(patient: Any, *, starts_at: dt.datetime | None = None) -> TreatmentSession:
    """A scheduled IV induction session with its plan and appointment (what the questionnaire schedule sees)."""
    starts_at = starts_at or timezone.now()
    user = staff_of(patient)
    plan = TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        preset_id="",
        route="iv",
        dose_mg=Decimal("35"),
        review_after_session=6,
        review_not_before=starts_at + dt.timedelta(days=14),
        created_by=user,
        gate_overridden_items=TEST_PLAN_GATE_ITEMS,
    )
    appointment = Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        plan=plan,
        number=1,
        phase="induction",
        week=1,
        starts_at=starts_at,
        duration_min=120,
        dose_mg=Decimal("35"),
    )
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        plan=plan,
        appointment=appointment,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=starts_at,
        planned_dose_mg=Decimal("35"),
        created_by=user,
    )
