"""Writes for treatments: one transaction each, keyword-only arguments, domain errors (errors.py).

Clinical rules come from the core: the dose from `course.dose_mg` and the protocol's bounds, the
schedule from `course.plan_sessions`, the hold from `monitoring.check_pre_dose`, flags from
`monitoring.flag_vitals`, discharge from `monitoring.discharge_readiness`, the REMS deadline from
`monitoring.rems_form_due_by`. A refused write stores nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.clinics.models import StaffMembership
from ketacare.core import course, monitoring
from ketacare.core.protocols import PHYSIOLOGICAL_RANGES, get_protocol
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.patients import facts
from ketacare.patients.facts import ResponseOutcome
from ketacare.patients.models import Patient
from ketacare.treatments import selectors
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import (
    AdverseEvent,
    Appointment,
    DoseAdministration,
    Observation,
    PreDoseQuestionnaire,
    RemsForm,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)

# A time a little ahead of the server clock is a clock difference between devices, not the future.
CLOCK_SKEW = dt.timedelta(minutes=2)
# Check-in is for today's visit: an earlier time is a typing error (a software limit).
MAX_CHECK_IN_AGE = dt.timedelta(hours=12)
MAX_TEXT = 1000
UNITS = {"systolic_mmhg": "mmHg", "diastolic_mmhg": "mmHg", "heart_rate_bpm": "/min", "spo2_pct": "%"}
_FIELD_IN_MESSAGE = re.compile(r"^([a-z_]+) ")


def _core_error(exc: ValueError, default_field: str = "") -> FieldError:
    """Turn a core ValueError (which names the value and the range) into a domain error."""
    message = str(exc)
    match = _FIELD_IN_MESSAGE.match(message)
    field = match.group(1) if match and "_" in match.group(1) else default_field
    return FieldError(field, message)


def _is_prescriber(user: Any, clinic_id: int) -> bool:
    return StaffMembership.objects.filter(
        user=user, clinic_id=clinic_id, is_active=True, role=StaffMembership.Role.PRESCRIBER
    ).exists()


def _check_time(
    field: str,
    value: dt.datetime,
    session: TreatmentSession,
    *,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
) -> None:
    if value.tzinfo is None:
        raise FieldError(field, f"{field} must carry a time zone")
    zone = selectors.clinic_zone(session.clinic)
    try:
        local = value.astimezone(zone)
    except OverflowError:
        # Year 1 or 9999 shifted into the clinic's zone: not a time of this session either way.
        raise FieldError(field, f"{field} {value.isoformat()} is out of range") from None
    if value > now + CLOCK_SKEW:
        raise FieldError(field, f"{field} {local:%H:%M} is in the future (now {now.astimezone(zone):%H:%M})")
    started = session.checked_in_at
    if started is not None and value < started:
        raise FieldError(
            field,
            f"{field} {local:%H:%M} is before the session started "
            f"(check-in {started.astimezone(zone):%H:%M})",
        )
    if not_before is not None and value < not_before:
        raise FieldError(field, f"{field} {local:%H:%M} is before {not_before.astimezone(zone):%H:%M}")


def _check_text(field: str, value: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, f"{field} is required")
    if len(value) > limit:
        raise FieldError(field, f"{field} is {len(value)} characters long; at most {limit} are allowed")
    return value


def _require_state(session: TreatmentSession, *states: str, action: str) -> None:
    if session.state not in states:
        allowed = ", ".join(states)
        raise ConflictError(
            "state",
            f"cannot {action}: the session is {session.get_state_display().lower()} (needs {allowed})",
        )


# --------------------------------------------------------------------------------------------------
# Plan and appointments
# --------------------------------------------------------------------------------------------------


def create_treatment_plan(
    *,
    patient: Patient,
    user: Any,
    protocol_id: str,
    preset_id: str | None,
    first_session_at: dt.datetime,
    weight_kg: float | None = None,
    weight_measured_on: dt.date | None = None,
    mg_per_kg: float | None = None,
    weekdays: list[int] | None = None,
    session_count: int | None = None,
    maintenance_policy: str = TreatmentPlan.MaintenancePolicy.DECIDE_AT_REVIEW,
    notes: str = "",
) -> TreatmentPlan:
    """Create a plan and its appointments (one session each), laid out by the core in the clinic's zone."""
    try:
        protocol = get_protocol(protocol_id)
    except ValueError as exc:
        raise _core_error(exc, "protocol_id") from None
    if maintenance_policy not in TreatmentPlan.MaintenancePolicy.values:
        raise FieldError(
            "maintenance_policy",
            f"maintenance_policy {maintenance_policy!r} is not one of "
            f"{', '.join(TreatmentPlan.MaintenancePolicy.values)}",
        )
    notes = _check_text("notes", notes)
    clinic = patient.clinic
    zone = selectors.clinic_zone(clinic)
    per_kg = protocol.dose.basis == "mg_per_kg"
    if per_kg and weight_kg is None:
        raise FieldError("weight_kg", "weight_kg is required for a weight-based protocol")
    age = selectors.age_years(patient, first_session_at.astimezone(zone).date())
    try:
        plan = course.plan_sessions(
            protocol.id,
            start=first_session_at,
            tz=clinic.time_zone,
            preset=preset_id or None,
            age_years=age,
            weight_kg=weight_kg if per_kg else None,
            mg_per_kg=mg_per_kg if per_kg else None,
            weekdays=weekdays or None,
            session_count=session_count,
        )
        devices = None
        first = plan.sessions[0]
        if protocol.device is not None and first.dose_mg is not None:
            devices = course.esketamine_devices(first.dose_mg)
    except ValueError as exc:
        raise _core_error(exc) from None
    duration = (protocol.dose.infusion_minutes or 0) + monitoring.observation_minutes(protocol.route)
    with transaction.atomic():
        treatment_plan = TreatmentPlan.objects.create(
            clinic=clinic,
            patient=patient,
            protocol_id=protocol.id,
            preset_id=plan.preset_id,
            route=protocol.route,
            weight_kg=Decimal(str(weight_kg)) if per_kg and weight_kg is not None else None,
            weight_measured_on=weight_measured_on,
            mg_per_kg=Decimal(str(mg_per_kg or protocol.dose.standard_mg_per_kg)) if per_kg else None,
            dose_mg=Decimal(str(first.dose_mg)) if first.dose_mg is not None else None,
            devices=devices,
            dose_rule=first.dose_rule[:200],
            review_after_session=plan.review.after_session,
            review_not_before=plan.review.not_before,
            review_due_before=plan.review.due_before,
            review_note=plan.review.note,
            maintenance_policy=maintenance_policy,
            notes="\n".join([*plan.notes, notes]).strip(),
            created_by=user,
        )
        for planned in plan.sessions:
            appointment = Appointment.objects.create(
                clinic=clinic,
                patient=patient,
                plan=treatment_plan,
                number=planned.number,
                phase=planned.phase,
                week=planned.week,
                starts_at=planned.starts_at,
                duration_min=duration,
                dose_mg=Decimal(str(planned.dose_mg)) if planned.dose_mg is not None else None,
                dose_rule=planned.dose_rule[:200],
                note=planned.note[:300],
            )
            TreatmentSession.objects.create(
                clinic=clinic,
                patient=patient,
                plan=treatment_plan,
                appointment=appointment,
                protocol_id=protocol.id,
                route=protocol.route,
                scheduled_at=planned.starts_at,
                planned_dose_mg=appointment.dose_mg,
                created_by=user,
            )
    return treatment_plan


def reschedule_appointment(*, appointment: Appointment, user: Any, starts_at: dt.datetime) -> Appointment:
    """Move a scheduled appointment (and its session) to another time."""
    if starts_at.tzinfo is None:
        raise FieldError("starts_at", "starts_at must carry a time zone")
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        session = TreatmentSession.objects.filter(appointment=appointment).first()
        if appointment.status != Appointment.Status.SCHEDULED or (
            session is not None and session.state != TreatmentSession.State.SCHEDULED
        ):
            raise ConflictError("starts_at", "only a scheduled appointment that has not started can be moved")
        appointment.starts_at = starts_at
        appointment.save(update_fields=["starts_at"])
        if session is not None:
            session.scheduled_at = starts_at
            session.save(update_fields=["scheduled_at"])
    return appointment


def book_maintenance_session(
    *, plan: TreatmentPlan, user: Any, starts_at: dt.datetime, now: dt.datetime
) -> Appointment:
    """Add one maintenance appointment (and its session) to a plan, e.g. from a relapse alert.

    The dose is the plan's current one (the prescriber changes it on the plan, never here); the
    duration matches the plan's other appointments.
    """
    if starts_at.tzinfo is None:
        raise FieldError("starts_at", "starts_at must carry a time zone")
    if starts_at < now:
        zone = selectors.clinic_zone(plan.clinic)
        raise FieldError(
            "starts_at",
            f"starts_at {starts_at.astimezone(zone):%Y-%m-%d %H:%M} is in the past; book a future time",
        )
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ConflictError("plan", "maintenance sessions are booked on an active plan")
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        last = plan.appointments.order_by("-number").first()
        first = plan.appointments.order_by("starts_at").first()
        week = 1 + max(0, (starts_at - first.starts_at).days // 7) if first is not None else 1
        appointment = Appointment.objects.create(
            clinic=plan.clinic,
            patient=plan.patient,
            plan=plan,
            number=(last.number if last is not None else 0) + 1,
            phase="maintenance",
            week=min(week, 32_767),
            starts_at=starts_at,
            duration_min=last.duration_min if last is not None else 120,
            dose_mg=plan.dose_mg,
            dose_rule=plan.dose_rule,
            note="Maintenance session",
        )
        TreatmentSession.objects.create(
            clinic=plan.clinic,
            patient=plan.patient,
            plan=plan,
            appointment=appointment,
            protocol_id=plan.protocol_id,
            route=plan.route,
            scheduled_at=starts_at,
            planned_dose_mg=appointment.dose_mg,
            created_by=user,
        )
    return appointment


def cancel_session(*, session: TreatmentSession, user: Any, reason: str) -> TreatmentSession:
    """Cancel a session that has not started dosing (its appointment is cancelled with it)."""
    reason = _check_text("cancel_reason", reason, required=True, limit=300)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_state(
            session, TreatmentSession.State.SCHEDULED, TreatmentSession.State.CHECKED_IN, action="cancel"
        )
        session.state = TreatmentSession.State.CANCELLED
        session.cancelled_at = timezone.now()
        session.cancel_reason = reason
        session.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        if session.appointment_id:
            Appointment.objects.filter(pk=session.appointment_id).update(status=Appointment.Status.CANCELLED)
    return session


# --------------------------------------------------------------------------------------------------
# Run-sheet
# --------------------------------------------------------------------------------------------------


def check_in_session(
    *,
    session: TreatmentSession,
    user: Any,
    weight_kg: float,
    fasting_confirmed: bool,
    ride_home_confirmed: bool,
    medication_changes: str = "",
    checked_in_at: dt.datetime | None = None,
) -> TreatmentSession:
    """Check the patient in: today's weight (re-computes a weight-based dose), fasting, ride, medicines."""
    now = timezone.now()
    at = checked_in_at or now
    medication_changes = _check_text("medication_changes", medication_changes)
    low, high = course.WEIGHT_KG_RANGE
    if not isinstance(weight_kg, int | float) or not math.isfinite(weight_kg) or not low <= weight_kg <= high:
        raise FieldError("weight_kg", f"weight_kg {weight_kg} is out of range {low:g}–{high:g} kg")
    if at > now + CLOCK_SKEW or at < now - MAX_CHECK_IN_AGE:
        raise FieldError(
            "checked_in_at", "checked_in_at must be within the last 12 hours and not in the future"
        )
    planned = session.planned_dose_mg
    plan = session.plan
    protocol = get_protocol(session.protocol_id)
    if protocol.dose.basis == "mg_per_kg" and plan is not None and plan.mg_per_kg is not None:
        try:
            planned = Decimal(str(course.dose_mg(float(plan.mg_per_kg), weight_kg, protocol_id=protocol.id)))
        except ValueError as exc:
            raise _core_error(exc, "weight_kg") from None
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_state(session, TreatmentSession.State.SCHEDULED, action="check in")
        session.state = TreatmentSession.State.CHECKED_IN
        session.checked_in_at = at
        session.checked_in_by = user
        session.weight_kg = Decimal(str(round(weight_kg, 1)))
        session.fasting_confirmed = fasting_confirmed
        session.ride_home_confirmed = ride_home_confirmed
        session.medication_changes = medication_changes
        session.planned_dose_mg = planned
        session.save()
        _schedule_pre_dose_questionnaires(session, now)
    return session


def _schedule_pre_dose_questionnaires(session: TreatmentSession, now: dt.datetime) -> None:
    # The questionnaires schedule decides what is due before this session (policy, stage, phase);
    # bringing it up to date here shows the list at check-in even if the patient never opened the app.
    appointment = session.appointment
    if appointment is None:
        return
    facts.schedule_before_session(
        patient=session.patient,
        session_id=str(appointment.public_id),
        starts_at=appointment.starts_at,
        kind=appointment.phase or "session",
        now=now,
    )


def _require_pre_dose(session: TreatmentSession, assignment: Any) -> None:
    _require_state(session, TreatmentSession.State.CHECKED_IN, action="record a pre-dose questionnaire")
    if assignment.state != "due":
        raise ConflictError(
            "assignment", f"this questionnaire is {assignment.get_state_display().lower()} already, not due"
        )


def record_pre_dose_questionnaire(
    *,
    session: TreatmentSession,
    user: Any,
    assignment: Any,
    answers: dict[str, int],
    idempotency_key: str,
) -> ResponseOutcome:
    """Answers entered on the tablet at the chair for a questionnaire due before this session.

    Scored and stored by the questionnaires service (so a suicide-risk item raises its alert in this
    transaction) and linked to the due item; this session records that the nurse entered it.
    A retry with the same ``idempotency_key`` returns the first response and adds nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        existing = PreDoseQuestionnaire.objects.filter(
            session=session, response__idempotency_key=idempotency_key, entered_in_error=False
        ).first()
        if existing is not None and existing.response is not None:
            return ResponseOutcome(existing.response, created=False)
        assignment = facts.lock_assignment(assignment.pk)
        _require_pre_dose(session, assignment)
        # The questionnaires service refuses bad answers with a FieldError naming the item.
        outcome: ResponseOutcome = facts.submit_questionnaire(
            patient=session.patient,
            instrument_id=assignment.instrument_id,
            answers=answers,
            idempotency_key=idempotency_key,
            now=now,
            assignment=assignment,
        )
        if outcome.created:
            PreDoseQuestionnaire.objects.create(
                clinic=session.clinic,
                patient=session.patient,
                session=session,
                assignment=assignment,
                instrument_id=assignment.instrument_id,
                outcome=PreDoseQuestionnaire.Outcome.ENTERED,
                response=outcome.response,
                recorded_at=now,
                created_by=user,
            )
    return outcome


def skip_pre_dose_questionnaire(
    *, session: TreatmentSession, user: Any, assignment: Any, reason: str
) -> PreDoseQuestionnaire:
    """Record that a questionnaire due before this session was not done, and why (it leaves the due list)."""
    reason = _check_text("skip_reason", reason, required=True, limit=300)
    now = timezone.now()
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        assignment = facts.lock_assignment(assignment.pk)
        _require_pre_dose(session, assignment)
        facts.cancel_assignment(assignment=assignment)
        return PreDoseQuestionnaire.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            assignment=assignment,
            instrument_id=assignment.instrument_id,
            outcome=PreDoseQuestionnaire.Outcome.SKIPPED,
            skip_reason=reason,
            recorded_at=now,
            created_by=user,
        )


def _validate_vitals(
    systolic_mmhg: Any, diastolic_mmhg: Any, heart_rate_bpm: Any, spo2_pct: Any
) -> dict[str, int | None]:
    values = {
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
        "heart_rate_bpm": heart_rate_bpm,
        "spo2_pct": spo2_pct,
    }
    out: dict[str, int | None] = {}
    for field, value in values.items():
        low, high = PHYSIOLOGICAL_RANGES[field]
        unit = UNITS[field]
        if value is None and field in ("heart_rate_bpm", "spo2_pct"):
            out[field] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise FieldError(field, f"{field} must be a number {low:g}–{high:g} {unit}")
        if not low <= value <= high:
            raise FieldError(field, f"{field} {value:g} is out of range {low:g}–{high:g} {unit}")
        if value != int(value):
            raise FieldError(field, f"{field} {value:g} must be a whole number")
        out[field] = int(value)
    if out["diastolic_mmhg"] >= out["systolic_mmhg"]:  # type: ignore[operator]
        raise FieldError(
            "diastolic_mmhg",
            f"diastolic_mmhg {out['diastolic_mmhg']} must be below systolic_mmhg {out['systolic_mmhg']}",
        )
    return out


def record_vital_signs(
    *,
    session: TreatmentSession,
    user: Any,
    systolic_mmhg: Any,
    diastolic_mmhg: Any,
    heart_rate_bpm: Any = None,
    spo2_pct: Any = None,
    measured_at: dt.datetime | None = None,
) -> VitalSign:
    """Record one set of vital signs. Before the dose it is a pre-dose set and decides the hold."""
    now = timezone.now()
    at = measured_at or now
    values = _validate_vitals(systolic_mmhg, diastolic_mmhg, heart_rate_bpm, spo2_pct)
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("patient", "clinic")
            .get(pk=session.pk)
        )
        _require_state(session, *selectors.LIVE_STATES, action="record vital signs")
        _check_time("measured_at", at, session, now=now)
        pre_dose = session.dose_started_at is None or at < session.dose_started_at
        reading = monitoring.VitalSigns(
            values["systolic_mmhg"],  # type: ignore[arg-type]
            values["diastolic_mmhg"],  # type: ignore[arg-type]
            values["heart_rate_bpm"],
            values["spo2_pct"],
        )
        flags: list[dict[str, Any]] = []
        if pre_dose:
            age = selectors.age_years(
                session.patient, at.astimezone(selectors.clinic_zone(session.clinic)).date()
            )
            result = monitoring.check_pre_dose(session.route, age, **values)  # type: ignore[arg-type]
            flags = [
                {"code": r.code, "level": r.level, "field": r.field, "message": r.message}
                for r in result.reasons
            ]
        else:
            baseline = selectors.as_core_vitals(selectors.baseline_vitals(session))
            flags = [
                {"code": f.code, "level": f.level, "field": f.field, "message": f.message}
                for f in monitoring.flag_vitals(session.route, baseline, reading)
            ]
        vital = VitalSign.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            kind=VitalSign.Kind.PRE_DOSE if pre_dose else VitalSign.Kind.IN_SESSION,
            measured_at=at,
            flags=flags,
            created_by=user,
            **values,
        )
        if pre_dose and session.dose_started_at is None:
            # The latest pre-dose set decides: a re-measured normal set lifts a hold.
            session.hold = any(f["level"] == "hold" for f in flags)
            session.hold_reasons = flags
            session.save(update_fields=["hold", "hold_reasons"])
        critical = [f for f in flags if f["level"] == "critical"]
        if critical:
            _raise_vital_alert(session, vital, critical)
    return vital


def _raise_vital_alert(session: TreatmentSession, vital: VitalSign, critical: list[dict[str, Any]]) -> None:
    """A critical in-session reading also becomes a clinic alert (same transaction)."""
    from ketacare.alerts.services import raise_alert

    raise_alert(
        patient=session.patient,
        source="vital_sign",
        severity="urgent",
        title="Critical vital sign during a session",
        detail="; ".join(f["message"] for f in critical),
        dedupe_key=f"vital:{vital.public_id}",
    )


def override_hold(*, session: TreatmentSession, user: Any, reason: str) -> TreatmentSession:
    """A prescriber decides to dose despite a pre-dose hold, giving a reason."""
    reason = _check_text("hold_override_reason", reason, required=True)
    if not _is_prescriber(user, session.clinic_id):
        raise NotPermitted(
            "hold_override_reason", "only a prescriber of this clinic can override a pre-dose hold"
        )
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if not session.hold:
            raise ConflictError("hold_override_reason", "there is no pre-dose hold to override")
        session.hold_overridden_at = timezone.now()
        session.hold_overridden_by = user
        session.hold_override_reason = reason
        session.save(update_fields=["hold_overridden_at", "hold_overridden_by", "hold_override_reason"])
    return session


def _dose_bounds_problem(protocol: Any, total_mg: float, weight_kg: float | None) -> str | None:
    """Why `total_mg` is outside the protocol's bounds, or None when it is inside."""
    bounds = protocol.dose_bounds
    if protocol.dose.basis == "mg_per_kg":
        assert weight_kg is not None  # noqa: S101 - check-in records the weight
        per_kg = total_mg / weight_kg
        low, high = bounds.min_mg_per_kg, bounds.max_mg_per_kg
        if not low <= round(per_kg, 4) <= high:
            return (
                f"dose_mg {total_mg:g} is {per_kg:.2f} mg/kg for {weight_kg:g} kg; protocol {protocol.id} "
                f"allows {low:g}–{high:g} mg/kg ({low * weight_kg:.1f}–{high * weight_kg:.1f} mg)"
            )
        return None
    low, high = bounds.min_mg, bounds.max_mg
    if total_mg > high:
        return f"dose_mg {total_mg:g} (total) is above the protocol's range {low:g}–{high:g} mg"
    return None


def record_dose(
    *,
    session: TreatmentSession,
    user: Any,
    dose_mg: float,
    lot_number: str,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    out_of_bounds_reason: str = "",
) -> DoseAdministration:
    """Record a dose: an infusion (stop time now or later) or one nasal device (5-minute waits)."""
    now = timezone.now()
    start = started_at or now
    lot_number = _check_text("lot_number", lot_number, required=True, limit=40)
    out_of_bounds_reason = _check_text("out_of_bounds_reason", out_of_bounds_reason)
    if (
        isinstance(dose_mg, bool)
        or not isinstance(dose_mg, int | float | Decimal)
        or not math.isfinite(float(dose_mg))
        or float(dose_mg) <= 0
    ):
        raise FieldError("dose_mg", f"dose_mg {dose_mg} must be a positive number of mg")
    amount = float(dose_mg)
    protocol = get_protocol(session.protocol_id)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        _require_state(
            session, TreatmentSession.State.CHECKED_IN, TreatmentSession.State.DOSING, action="record a dose"
        )
        if selectors.baseline_vitals(session) is None:
            raise ConflictError("dose_mg", "record the pre-dose vital signs before the dose")
        if session.hold and session.hold_overridden_at is None:
            raise ConflictError(
                "dose_mg", "the pre-dose hold is on: re-measure, or a prescriber overrides it with a reason"
            )
        _check_time("started_at", start, session, now=now)
        previous = selectors.valid_doses(session)
        device_number = None
        if protocol.device is not None:
            if ended_at is not None and ended_at != start:
                raise FieldError("ended_at", "a nasal device has one time; leave ended_at empty")
            ended_at = start
            if amount != protocol.device.mg_per_device:
                raise FieldError(
                    "dose_mg",
                    f"dose_mg {amount:g}: each nasal device delivers {protocol.device.mg_per_device} mg; "
                    "record one device at a time",
                )
            if previous:
                wait = dt.timedelta(minutes=protocol.device.wait_between_devices_minutes)
                earliest = previous[-1].started_at + wait
                if start < earliest:
                    zone = selectors.clinic_zone(session.clinic)
                    raise FieldError(
                        "started_at",
                        f"started_at {start.astimezone(zone):%H:%M} is less than "
                        f"{protocol.device.wait_between_devices_minutes} min after device {len(previous)}; "
                        f"the next device is due from {earliest.astimezone(zone):%H:%M}",
                    )
            device_number = len(previous) + 1
        else:
            if any(d.ended_at is None for d in previous):
                raise ConflictError("dose_mg", "an infusion is still running: stop it first")
            if ended_at is not None:
                _check_time("ended_at", ended_at, session, now=now, not_before=start)
        total = sum(float(d.dose_mg) for d in previous) + amount
        problem = _dose_bounds_problem(
            protocol, total, float(session.weight_kg) if session.weight_kg else None
        )
        if problem and not out_of_bounds_reason:
            raise FieldError("dose_mg", problem + "; give out_of_bounds_reason to record it anyway")
        dose = DoseAdministration.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            drug=protocol.drug,
            route=session.route,
            dose_mg=Decimal(str(amount)),
            lot_number=lot_number,
            started_at=start,
            ended_at=ended_at,
            device_number=device_number,
            out_of_bounds_reason=out_of_bounds_reason if problem else "",
            created_by=user,
        )
        session.dose_started_at = min(start, session.dose_started_at or start)
        session.state = TreatmentSession.State.DOSING
        finished = ended_at is not None and (
            protocol.device is None
            or (session.planned_dose_mg is not None and total >= float(session.planned_dose_mg))
        )
        if finished:
            session.dose_ended_at = ended_at
            session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_started_at", "dose_ended_at", "state"])
    return dose


def end_dosing(
    *, session: TreatmentSession, user: Any, ended_at: dt.datetime | None = None
) -> TreatmentSession:
    """Stop the running infusion, or finish nasal dosing after fewer devices than planned."""
    now = timezone.now()
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        _require_state(session, TreatmentSession.State.DOSING, action="end dosing")
        doses = selectors.valid_doses(session)
        running = [d for d in doses if d.ended_at is None]
        if running:
            end = ended_at or now
            _check_time("ended_at", end, session, now=now, not_before=running[-1].started_at)
            running[-1].ended_at = end
            running[-1].save(update_fields=["ended_at"])
        else:
            end = max(d.ended_at or d.started_at for d in doses)
        session.dose_ended_at = end
        session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_ended_at", "state"])
    return session


def record_observation(
    *,
    session: TreatmentSession,
    user: Any,
    moaas_score: int,
    dissociation: str,
    respiratory_concern: bool = False,
    note: str = "",
    observed_at: dt.datetime | None = None,
) -> Observation:
    """Record sedation (MOAA/S) and dissociation at one time."""
    now = timezone.now()
    at = observed_at or now
    low, high = monitoring.MOAAS_RANGE
    if isinstance(moaas_score, bool) or not isinstance(moaas_score, int) or not low <= moaas_score <= high:
        raise FieldError("moaas_score", f"moaas_score {moaas_score} is out of range {low}–{high}")
    if dissociation not in Observation.Dissociation.values:
        raise FieldError(
            "dissociation",
            f"dissociation {dissociation!r} is not one of {', '.join(Observation.Dissociation.values)}",
        )
    note = _check_text("note", note, limit=500)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        _require_state(session, *selectors.LIVE_STATES, action="record an observation")
        _check_time("observed_at", at, session, now=now)
        return Observation.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            observed_at=at,
            moaas_score=moaas_score,
            dissociation=dissociation,
            respiratory_concern=respiratory_concern,
            note=note,
            created_by=user,
        )


def record_adverse_event(
    *,
    session: TreatmentSession,
    user: Any,
    description: str,
    severity: str,
    action_taken: str = "",
    occurred_at: dt.datetime | None = None,
) -> AdverseEvent:
    """Record an adverse event during the session."""
    now = timezone.now()
    at = occurred_at or now
    description = _check_text("description", description, required=True)
    action_taken = _check_text("action_taken", action_taken)
    if severity not in AdverseEvent.Severity.values:
        raise FieldError(
            "severity", f"severity {severity!r} is not one of {', '.join(AdverseEvent.Severity.values)}"
        )
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        _require_state(session, *selectors.LIVE_STATES, action="record an adverse event")
        _check_time("occurred_at", at, session, now=now)
        return AdverseEvent.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            occurred_at=at,
            description=description,
            severity=severity,
            action_taken=action_taken,
            created_by=user,
        )


def mark_entered_in_error(*, session: TreatmentSession, user: Any, kind: str, entry_id: str) -> None:
    """Mark a vital sign, observation or adverse event as entered in error (it stays visible)."""
    models: dict[str, Any] = {"vital": VitalSign, "observation": Observation, "adverse_event": AdverseEvent}
    model = models.get(kind)
    if model is None:
        raise FieldError("kind", f"kind {kind!r} is not one of {', '.join(models)}")
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        _require_state(session, *selectors.LIVE_STATES, action="correct an entry")
        updated = model.objects.filter(session=session, public_id=entry_id).update(entered_in_error=True)
        if not updated:
            raise FieldError("entry_id", "no such entry in this session")
        if kind == "vital" and session.dose_started_at is None:
            base = selectors.baseline_vitals(session)
            flags = base.flags if base else []
            session.hold = any(f.get("level") == "hold" for f in flags)
            session.hold_reasons = flags
            session.save(update_fields=["hold", "hold_reasons"])


def discharge_session(
    *,
    session: TreatmentSession,
    user: Any,
    ride_present: bool,
    instructions_given: bool,
    override_reason: str = "",
) -> TreatmentSession:
    """Discharge when the core's checklist is met; esketamine's minimum observation never yields.

    A prescriber may discharge with other criteria unmet by giving a reason (recorded); the minimum
    observation of a route whose rule is not overridable (esketamine, REMS) refuses in every case.
    """
    now = timezone.now()
    override_reason = _check_text("override_reason", override_reason)
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=session.pk)
        )
        _require_state(
            session,
            TreatmentSession.State.OBSERVING,
            TreatmentSession.State.READY_FOR_DISCHARGE,
            action="discharge",
        )
        result = selectors.readiness(
            session, now, ride_present=ride_present, instructions_given=instructions_given
        )
        assert result is not None  # noqa: S101 - observing means dosing has ended
        unmet = [(c.code, c.message) for c in result.unmet]
        if unmet:
            hard = [
                (code, message)
                for code, message in unmet
                if code == "observation_time" and not selectors.route_rules(session).observation.overridable
            ]
            if hard or not override_reason or not _is_prescriber(user, session.clinic_id):
                why = "" if not override_reason or hard else " (an override needs a prescriber)"
                raise DischargeRefused(
                    "discharge",
                    "Not ready for discharge" + why + ": " + " ".join(m for _, m in unmet),
                    unmet=unmet,
                )
            session.discharge_override_reason = override_reason
            session.discharge_overridden_criteria = [code for code, _ in unmet]
        session.state = TreatmentSession.State.DISCHARGED
        session.discharged_at = now
        session.discharged_by = user
        session.ride_present = ride_present
        session.instructions_given = instructions_given
        session.save()
        if session.appointment_id:
            Appointment.objects.filter(pk=session.appointment_id).update(status=Appointment.Status.COMPLETED)
        _start_rems_form(session, now)
    return session


def _start_rems_form(session: TreatmentSession, now: dt.datetime) -> RemsForm | None:
    """Prefill the REMS patient monitoring form from the run-sheet (esketamine outpatient sessions)."""
    assert session.dose_started_at is not None and session.dose_ended_at is not None  # noqa: S101
    zone = selectors.clinic_zone(session.clinic)
    due = monitoring.rems_form_due_by(
        session.route, session.dose_started_at.astimezone(zone), inpatient=session.inpatient
    )
    if due is None:
        return None
    vitals = selectors.valid_vitals(session)
    pre = selectors.baseline_vitals(session)
    after = [v for v in vitals if v.kind == VitalSign.Kind.IN_SESSION]
    forty = None
    checkpoints = monitoring.vital_checkpoints(session.route, session.dose_started_at, session.dose_ended_at)
    targets = [c.due_at for c in checkpoints if c.code == "after_dose"]
    if targets and after:
        forty = min(after, key=lambda v: abs((v.measured_at - targets[0]).total_seconds()))
    end = after[-1] if after else None
    observations = selectors.valid_observations(session)
    total = sum(int(d.dose_mg) for d in selectors.valid_doses(session))
    baseline = selectors.as_core_vitals(pre)
    return RemsForm.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        session=session,
        due_at=due,
        dose_mg=total,
        total_monitoring_min=round((now - session.dose_started_at).total_seconds() / 60),
        bp_pre_systolic_mmhg=pre.systolic_mmhg if pre else None,
        bp_pre_diastolic_mmhg=pre.diastolic_mmhg if pre else None,
        bp_40min_systolic_mmhg=forty.systolic_mmhg if forty else None,
        bp_40min_diastolic_mmhg=forty.diastolic_mmhg if forty else None,
        bp_end_systolic_mmhg=end.systolic_mmhg if end else None,
        bp_end_diastolic_mmhg=end.diastolic_mmhg if end else None,
        vitals_acceptable_before=(not session.hold) if pre else None,
        vitals_acceptable_end=(
            not monitoring.flag_vitals(session.route, baseline, selectors.as_core_vitals(end))  # type: ignore[arg-type]
            if end
            else None
        ),
        sedation_occurred=any(o.moaas_score < monitoring.MOAAS_ALERT for o in observations),
        dissociation_occurred=any(o.dissociation != Observation.Dissociation.NONE for o in observations),
        respiratory_changes_occurred=any(o.respiratory_concern for o in observations),
    )


REMS_EDITABLE = (
    "ready_to_leave_min",
    "benzodiazepines",
    "non_benzo_sedative_hypnotics",
    "psychostimulants",
    "maois",
    "sedation_occurred",
    "dissociation_occurred",
    "respiratory_changes_occurred",
    "vitals_acceptable_before",
    "vitals_acceptable_end",
)


def update_rems_form(
    *,
    form: RemsForm,
    user: Any,
    answers: dict[str, Any],
    submit: bool = False,
    submission_reference: str = "",
) -> RemsForm:
    """Answer the staff questions of a REMS form; `submit` records that it was sent (online or fax)."""
    unknown = set(answers) - set(REMS_EDITABLE)
    if unknown:
        raise FieldError(sorted(unknown)[0], f"fields {', '.join(sorted(unknown))} cannot be written")
    minutes = answers.get("ready_to_leave_min")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60
    ):
        raise FieldError("ready_to_leave_min", f"ready_to_leave_min {minutes} is out of range 0–1440 min")
    submission_reference = _check_text("submission_reference", submission_reference, limit=80)
    with transaction.atomic():
        form = RemsForm.objects.select_for_update().get(pk=form.pk)
        if form.submitted_at is not None:
            raise ConflictError("submitted_at", "this form was already submitted")
        for field, value in answers.items():
            setattr(form, field, value)
        if submit:
            missing = [
                f
                for f in ("benzodiazepines", "non_benzo_sedative_hypnotics", "psychostimulants", "maois")
                if getattr(form, f) is None
            ]
            if missing:
                raise FieldError(missing[0], f"{missing[0]} must be answered before the form is submitted")
            form.submitted_at = timezone.now()
            form.submitted_by = user
            form.submission_reference = submission_reference
        form.save()
    return form
