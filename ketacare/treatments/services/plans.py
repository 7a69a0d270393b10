"""Treatment plans: create one, with its appointments laid out by the core (one active plan a patient).

The dose comes from `course.dose_mg` and the protocol's bounds, the schedule from
`course.plan_sessions`, both in the clinic's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.hours import Interval, format_opening_hours
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import opening_intervals
from ketacare.core import course
from ketacare.core.protocols import Preset, Protocol, get_protocol
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.patients.services import advance_stage
from ketacare.treatments import selectors
from ketacare.treatments.errors import InputsRefused
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors.clinic import within_opening_hours
from ketacare.treatments.selectors.schedule import day_names
from ketacare.treatments.services._common import check_text, core_error
from ketacare.treatments.services.pathway import BOOKING_HORIZON, require_prescriber
from ketacare.treatments.services.plan_inputs import check_gate, dose_errors, schedule_errors

# Adulthood for a ketamine plan. The evidence KetaCare cites for ketamine in depression is in adults
# (CANMAT's recommendations are for adults with major depressive disorder [Swainson2021]); the cut-off
# at 18 is clinic practice. Esketamine's own minimum comes from its label (protocols.toml
# `min_age_years`, [HCP-Dose] [HCP-Dose3] [MIMS-HK]) and is never overridden.
ADULT_AGE_YEARS = 18
# Outside-hours appointments named in a refusal; the rest are counted (a long course lists dozens).
OUTSIDE_HOURS_LISTED = 3


def create_treatment_plan(
    *,
    patient: Patient,
    user: User,
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
    gate_override_reason: str = "",
    hepatic_impairment: str = "none",
    finding_reason: str = "",
    book_outside_hours: bool = False,
    now: dt.datetime | None = None,
) -> TreatmentPlan:
    """Create a plan and its appointments (one session each), laid out by the core in the clinic's zone.

    A prescriber's action, refused (``ConflictError`` on ``plan``) while the patient has an active plan:
    the prescriber ends that course first (one active plan a patient, docs/decisions/0032). The plan gate (`core.pathway.plan_gate`: completed screening, a current
    eligible decision, consent for the route) must pass, or a prescriber gives `gate_override_reason`;
    a "not eligible" decision is never overridden here (docs/decisions/0013). The core's plan findings
    (frequency above what was studied, liver impairment, no label dose for the age, an unverified start)
    that need a reason are refused until the prescriber gives ``finding_reason``; every finding is
    stored on the plan with that reason (docs/decisions/0012).

    The first session is from the start of the clinic's today to two years ahead, in the clinic's
    zone; ``now`` is the moment the plan is made (the clock unless a caller replays history). A
    patient under ``ADULT_AGE_YEARS`` on the day of the first session is never planned esketamine
    (label) and gets any other protocol only with ``finding_reason`` (recorded on the plan, audited).
    A plan with appointments outside the clinic's opening hours is refused until
    ``book_outside_hours`` confirms it (clinics sometimes open specially); the refusal says what to
    change instead (the time of day, or ``weekdays``, which any schedule takes). A fixed schedule given
    no ``weekdays`` is spaced from the first session, or, where that reaches a closed day, laid on its
    usual days (Mon, Wed, Fri for three a week) when the first session is on one and they fit the hours.
    ``notes`` are the prescriber's only: the core's notes on the schedule are shown apart
    (``selectors.schedule_guidance``).
    """
    require_prescriber(user, patient.clinic_id, field="protocol_id", action="create a treatment plan")
    clinic = patient.clinic
    zone = selectors.clinic_zone(clinic)
    # Before the inputs: while a course is active, no correction of the form makes a second one.
    _refuse_a_second_active_plan(patient, zone)
    now = now or timezone.now()
    # Every input is checked before any is refused, so the form names each mistake at once.
    errors: list[FieldError] = []

    def collect(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except FieldError as error:
            errors.append(error)
            return None

    protocol = collect(lambda: _protocol(protocol_id))
    collect(lambda: _check_first_session(first_session_at, zone=zone, now=now))
    if protocol is not None:
        errors += schedule_errors(protocol, preset_id, weekdays, session_count)
        errors += dose_errors(protocol, weight_kg, mg_per_kg)
    if maintenance_policy not in TreatmentPlan.MaintenancePolicy.values:
        errors.append(
            FieldError(
                "maintenance_policy",
                f"maintenance_policy {maintenance_policy!r} is not one of "
                f"{', '.join(TreatmentPlan.MaintenancePolicy.values)}",
            )
        )
    notes = collect(lambda: check_text("notes", notes)) or ""
    finding_reason = collect(lambda: check_text("finding_reason", finding_reason)) or ""
    gate_override_reason = collect(lambda: check_text("gate_override_reason", gate_override_reason)) or ""
    minor = None
    if protocol is not None and not any(e.field == "first_session_at" for e in errors):
        first_day = first_session_at.astimezone(zone).date()
        minor = collect(
            lambda: _minor_finding(
                protocol, selectors.age_years(patient, first_day), first_day, finding_reason
            )
        )
    gate = selectors.plan_gate(patient, protocol.route) if protocol is not None else None
    if gate is not None:
        collect(lambda: check_gate(gate, gate_override_reason))
    if len(errors) > 1:
        raise InputsRefused(errors)
    if errors:
        raise errors[0]
    assert protocol is not None and gate is not None  # noqa: S101 - an unknown protocol is refused above
    per_kg = protocol.dose.basis == "mg_per_kg"
    first_day = first_session_at.astimezone(zone).date()
    age = selectors.age_years(patient, first_day)
    japanese_ancestry = facts.plan_gate_facts(patient).japanese_ancestry
    preset = protocol.preset(preset_id or None)
    # Arrival and pre-dose checks, the dose, the minimum observation: what the patient is told to be
    # collected after, and what the opening hours must hold.
    duration = selectors.appointment_minutes(clinic, protocol)
    intervals = opening_intervals(clinic)
    try:

        def lay_out(days: list[int] | None, reasons: dict[str, str] | None) -> course.CoursePlan:
            return course.plan_sessions(
                protocol.id,
                start=first_session_at,
                tz=clinic.time_zone,
                preset=preset_id or None,
                age_years=age,
                weight_kg=weight_kg if per_kg else None,
                mg_per_kg=mg_per_kg if per_kg else None,
                weekdays=days,
                session_count=session_count,
                japanese_ancestry=japanese_ancestry,
                hepatic_impairment=hepatic_impairment,
                prescriber_reasons=reasons,
            )

        days = weekdays or None
        plan = lay_out(days, None)
        usual = _usual_days(preset, first_session_at.astimezone(zone).weekday())
        if days is None and usual is not None and _outside_hours(intervals, plan, duration, zone):
            # Spaced from the first session, a fixed schedule can land on a day the clinic is closed
            # (every other day from a Wednesday reaches Sunday); its usual days, when the first session
            # is on one of them, keep it on the day the prescriber chose.
            on_usual_days = lay_out(usual, None)
            if not _outside_hours(intervals, on_usual_days, duration, zone):
                days, plan = usual, on_usual_days
        if plan.unresolved_findings and finding_reason:
            plan = lay_out(days, {f.code: finding_reason for f in plan.unresolved_findings})
    except ValueError as exc:
        raise core_error(exc, "hepatic_impairment" if "hepatic" in str(exc) else "") from None
    try:
        devices = None
        first = plan.sessions[0]
        if protocol.device is not None and first.dose_mg is not None:
            devices = course.esketamine_devices(first.dose_mg)
    except ValueError as exc:
        raise core_error(exc) from None
    unresolved = [f.message for f in plan.unresolved_findings]
    if minor is not None and not minor["reason"]:
        unresolved.insert(0, minor["message"])
    if unresolved:
        raise ConflictError(
            "finding_reason",
            "This plan needs a prescriber's reason to go ahead: "
            + " ".join(unresolved)
            + " Write the reason under \u201cReason to go ahead despite a finding about this plan\u201d "
            "(recorded on the plan), or change the plan.",
        )
    outside = _outside_hours(intervals, plan, duration, zone)
    if outside and not book_outside_hours:
        raise ConflictError(
            "book_outside_hours",
            _outside_hours_message(clinic, outside, len(plan.sessions))
            + _inside_hours_advice(
                intervals, outside, zone, preset=preset, ticked=weekdays or None, duration_min=duration
            ),
        )
    extra_findings = [] if minor is None else [minor]
    if outside:
        extra_findings.append(
            {
                "code": "outside_opening_hours",
                "kind": "note",
                "message": _outside_hours_message(clinic, outside, len(plan.sessions), confirmed=True),
                "reason": "",
            }
        )
    with transaction.atomic():
        # Two prescribers saving at once: the patient's row is the lock, and the second to take it sees
        # the first one's plan. The stage is read under it too: the caller's copy of the patient may
        # predate the end of their last course, and a new course starts from what is stored.
        patient.stage = Patient.objects.select_for_update().only("stage").get(pk=patient.pk).stage
        _refuse_a_second_active_plan(patient, zone)
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
            # Only what the prescriber wrote: the core's notes on the protocol and preset are guidance the
            # page shows apart, under "About this schedule" (selectors.schedule_guidance).
            notes=notes.strip(),
            created_by=user,
            gate_override_reason=gate_override_reason if not gate.ok else "",
            gate_overridden_items=[{"code": m.code, "message": m.message} for m in gate.missing],
            gate_overridden_at=now if not gate.ok else None,
            gate_overridden_by=user if not gate.ok else None,
            findings=[
                *extra_findings,
                *(
                    {"code": f.code, "kind": f.kind, "message": f.message, "reason": f.reason or ""}
                    for f in plan.findings
                ),
            ],
        )
        if minor is not None:
            # Planning for a minor is a prescriber's exception: who decided it is in the audit chain,
            # as a plan gate override is.
            record_access_event(
                action="write",
                outcome="granted",
                user=user,
                patient=patient,
                object_type="plan_under_18_reason",
                object_id=str(treatment_plan.public_id),
            )
        if not gate.ok:
            record_access_event(
                action="write",
                outcome="granted",
                user=user,
                patient=patient,
                object_type="plan_gate_override",
                object_id=str(treatment_plan.public_id),
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
        # A plan starts the course: the schedule of questionnaires before each session follows the stage.
        advance_stage(patient=patient, to=Patient.Stage.INDUCTION)
    return treatment_plan


def _refuse_a_second_active_plan(patient: Patient, zone: dt.tzinfo) -> None:
    """One active plan a patient (docs/decisions/0032): the plan page, the end of a course, the stage
    and the questionnaires before each session all follow the patient's one current plan, so a second
    active plan would be booked and dosed out of sight. The refusal names the plan and the way on."""
    active = (
        TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ACTIVE)
        .select_related("created_by")
        .order_by("-created_at", "-id")
        .first()
    )
    if active is None:
        return
    made = active.created_at.astimezone(zone)
    statuses = list(active.appointments.values_list("status", flat=True))
    held = statuses.count(Appointment.Status.COMPLETED)
    booked = statuses.count(Appointment.Status.SCHEDULED)
    raise ConflictError(
        "plan",
        f"This patient already has an active treatment plan: {selectors.plan_name(active)}, made "
        f"{made:%a} {made.day} {made:%b %Y} by {active.created_by.full_name} ({held} of {len(statuses)} "
        f"session{'s' if len(statuses) != 1 else ''} held, {booked} still booked). A patient has one "
        "active plan at a time: end that course first (\u201cEnd this course\u201d on the plan page, as "
        "completed or discontinued), then make the new plan. To go on with the same course, move its "
        "appointments or book a maintenance session on it instead.",
    )


def _protocol(protocol_id: str) -> Protocol:
    try:
        return get_protocol(protocol_id)
    except ValueError as exc:
        raise core_error(exc, "protocol_id") from None


def _in_words(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """A clinic-time moment as people read it: "Sun 1 Nov 2026 09:00"."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def _check_first_session(value: dt.datetime, *, zone: dt.tzinfo, now: dt.datetime) -> None:
    """Refuse a first session before the clinic's today or beyond the booking horizon, in words."""
    field = "first_session_at"
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise FieldError(field, "First session: give a date and time with its time zone")
    years = BOOKING_HORIZON.days // 365
    # Earlier on the clinic's current day is still accepted: a session held this morning is sometimes
    # planned (documented) after it, and the form opens at "now" and may be saved a while later.
    # Anything before today is a mistyped date (clinic practice).
    earliest = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), tzinfo=zone)
    latest = now + BOOKING_HORIZON
    allowed = (
        f"choose a time from today (now {_in_words(now, zone)}, clinic time) "
        f"to {years} years ahead ({_in_words(latest, zone)})"
    )
    try:
        shown = _in_words(value, zone)
    except (OverflowError, ValueError):
        raise FieldError(field, f"First session: that date is out of range; {allowed}") from None
    if value < earliest:
        raise FieldError(field, f"First session: {shown} is in the past; {allowed}")
    if value > latest:
        raise FieldError(field, f"First session: {shown} is more than {years} years ahead; {allowed}")


def _minor_finding(protocol: Protocol, age: int, first_day: dt.date, reason: str) -> dict[str, str] | None:
    """None for an adult; for a minor, the finding that needs a prescriber's reason (esketamine: refused)."""
    if not 0 <= age < ADULT_AGE_YEARS:
        return None
    day = f"{first_day:%a} {first_day.day} {first_day:%b %Y}"
    label_minimum = protocol.dose.min_age_years
    if label_minimum is not None and age < label_minimum:
        raise FieldError(
            "protocol_id",
            f"{protocol.name} is licensed for adults ({label_minimum} and over) only (label): the patient "
            f"is {age} on the day of the first session ({day}). Choose another protocol.",
        )
    return {
        "code": "under_18",
        "kind": "requires_reason",
        "message": (
            f"The patient is {age} on the day of the first session ({day}): ketamine for depression in "
            f"patients under {ADULT_AGE_YEARS} is outside the evidence KetaCare cites (studied in adults)."
        ),
        "reason": reason,
    }


def _outside_hours(
    intervals: list[Interval], plan: course.CoursePlan, duration_min: int, zone: dt.tzinfo
) -> list[dt.datetime]:
    """The appointment starts that begin or end outside the clinic's opening hours (none without hours)."""
    if not intervals:
        return []
    starts = [session.starts_at for session in plan.sessions]
    return [at for at in starts if not within_opening_hours(intervals, at.astimezone(zone), duration_min)]


def _usual_days(preset: Preset, first_weekday: int) -> list[int] | None:
    """A fixed preset's usual weekdays when the first session falls on one of them, else None."""
    usual = list(preset.default_weekdays)
    if preset.custom or first_weekday not in usual or len(usual) != preset.sessions_per_week:
        return None
    return usual


def _outside_hours_message(
    clinic: Clinic, outside: list[dt.datetime], total: int, *, confirmed: bool = False
) -> str:
    zone = selectors.clinic_zone(clinic)
    hours = format_opening_hours(opening_intervals(clinic))
    listed = ", ".join(_in_words(at, zone) for at in outside[:OUTSIDE_HOURS_LISTED])
    more = f" and {len(outside) - OUTSIDE_HOURS_LISTED} more" if len(outside) > OUTSIDE_HOURS_LISTED else ""
    count = f"{len(outside)} of the {total} appointments" if total != 1 else "The appointment"
    if confirmed:
        return f"{count} booked outside the clinic's opening hours ({hours}), confirmed by the prescriber: {listed}{more}."
    return (
        f"book_outside_hours: {count} would fall outside the clinic's opening hours ({hours}): "
        f"{listed}{more} (clinic time)."
    )


def _inside_hours_advice(
    intervals: list[Interval],
    outside: list[dt.datetime],
    zone: dt.tzinfo,
    *,
    preset: Preset,
    ticked: list[int] | None,
    duration_min: int,
) -> str:
    """What the prescriber can change on the form to book inside the hours: the time of day when a
    session falls on an open day but does not fit its hours, the weekdays when one falls on a closed day
    (any schedule takes weekdays: a fixed one as many as it has sessions a week)."""
    open_days = sorted({interval.weekday for interval in intervals})
    weekdays = {at.astimezone(zone).weekday() for at in outside}
    steps = []
    if weekdays & set(open_days):
        steps.append(
            f"choose a first-session time at which the whole {duration_min}-minute appointment is inside "
            "the hours (every session keeps that time of day)"
        )
    if weekdays - set(open_days):
        open_names = day_names(open_days)
        per_week = preset.sessions_per_week
        if preset.custom or ticked:
            count = f", {per_week} of them" if per_week and not preset.custom else ""
            steps.append(
                f"tick only weekdays the clinic is open ({open_names}) under \u201cWeekdays\u201d{count}"
            )
        else:
            usual = list(preset.default_weekdays)
            example = (
                f", for example {day_names(usual)} (this schedule's usual days)"
                if usual and set(usual) <= set(open_days) and len(usual) == per_week
                else ""
            )
            steps.append(
                f"tick {per_week} weekdays the clinic is open ({open_names}) under \u201cWeekdays\u201d{example}: "
                "the sessions then fall on those days, the first on the first of them from the first "
                "session's date"
            )
    advice = f" To book inside the hours, {'; and '.join(steps)}." if steps else ""
    return (
        advice + " Or, if the clinic will open specially then, confirm "
        "\u201cBook outside opening hours anyway\u201d."
    )
