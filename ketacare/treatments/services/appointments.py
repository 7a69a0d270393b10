"""A plan's appointments after it is made: move one, add a maintenance session, cancel a session.

A time less than 24 h from another session of the patient is booked only when the prescriber confirms
it (``book_anyway``, docs/decisions/0031).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.lib.errors import ConflictError
from ketacare.patients.models import Patient
from ketacare.patients.services import advance_stage
from ketacare.treatments import selectors
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors.interval import nearby_booking, nearby_booking_message
from ketacare.treatments.services._common import check_text, require_state, set_appointment_status
from ketacare.treatments.services.pathway import check_booking_time, require_prescriber


def reschedule_appointment(
    *, appointment: Appointment, user: User, starts_at: dt.datetime, book_anyway: bool = False
) -> Appointment:
    """Move a scheduled appointment (and its session) to another time (a prescriber; now to 2 years ahead).

    A time less than 24 h from another session of the patient is refused unless ``book_anyway``
    confirms it (`_check_nearby_booking`)."""
    require_prescriber(user, appointment.clinic_id, field="starts_at", action="reschedule a dosing session")
    check_booking_time(
        "starts_at", starts_at, zone=selectors.clinic_zone(appointment.clinic), now=timezone.now()
    )
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        session = TreatmentSession.objects.filter(appointment=appointment).first()
        if appointment.status != Appointment.Status.SCHEDULED or (
            session is not None and session.state != TreatmentSession.State.SCHEDULED
        ):
            raise ConflictError("starts_at", "only a scheduled appointment that has not started can be moved")
        _check_nearby_booking(
            appointment.patient_id,
            starts_at,
            zone=selectors.clinic_zone(appointment.clinic),
            moving=session.pk if session is not None else None,
            confirmed=book_anyway,
        )
        appointment.starts_at = starts_at
        appointment.save(update_fields=["starts_at"])
        if session is not None:
            session.scheduled_at = starts_at
            session.save(update_fields=["scheduled_at"])
    return appointment


def book_maintenance_session(
    *,
    plan: TreatmentPlan,
    user: User,
    starts_at: dt.datetime,
    now: dt.datetime,
    book_anyway: bool = False,
) -> Appointment:
    """Add one maintenance appointment (and its session) to a plan, e.g. from a relapse alert.

    The dose is the plan's current one (the prescriber changes it on the plan, never here); the
    duration matches the plan's other appointments. A time less than 24 h from another session of the
    patient is refused unless ``book_anyway`` confirms it (`_check_nearby_booking`).
    """
    require_prescriber(user, plan.clinic_id, field="starts_at", action="book a maintenance session")
    zone = selectors.clinic_zone(plan.clinic)
    check_booking_time("starts_at", starts_at, zone=zone, now=now)
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ConflictError("plan", "maintenance sessions are booked on an active plan")
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        _check_nearby_booking(plan.patient_id, starts_at, zone=zone, moving=None, confirmed=book_anyway)
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
        advance_stage(patient=plan.patient, to=Patient.Stage.MAINTENANCE)
    return appointment


def _check_nearby_booking(
    patient_id: int, starts_at: dt.datetime, *, zone: Any, moving: int | None, confirmed: bool
) -> None:
    """Ask before booking less than 24 h from another session of the patient (clinic practice,
    docs/decisions/0031): the dose there would be held at the run-sheet, so the prescriber confirms
    with ``book_anyway``, as for a time outside the opening hours."""
    near = nearby_booking(patient_id, starts_at, exclude_session_id=moving)
    if near is not None and not confirmed:
        raise ConflictError("book_anyway", nearby_booking_message(near, starts_at, zone))


# The one criterion of the higher floors that also holds a cancellation: drug drawn for the session and
# not yet returned or wasted (the controlled-drug register, docs/decisions/0021).
CANCEL_BLOCKING_CRITERIA = ("controlled_drug_open",)


def cancel_session(*, session: TreatmentSession, user: User, reason: str) -> TreatmentSession:
    """Cancel a session that has not started dosing (its appointment is cancelled with it).

    Refused (ConflictError on ``cancel_reason``) while a controlled-drug draw of the session is open: the
    drug is returned or its waste witnessed first, under Controlled drugs on the run-sheet.
    """
    reason = check_text("cancel_reason", reason, required=True, limit=300)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(
            session, TreatmentSession.State.SCHEDULED, TreatmentSession.State.CHECKED_IN, action="cancel"
        )
        open_drug = [
            criterion.message
            for criterion in selectors.criteria_of_higher_floors(session, timezone.now())
            if criterion.code in CANCEL_BLOCKING_CRITERIA
        ]
        if open_drug:
            raise ConflictError(
                "cancel_reason",
                "Not cancelled: controlled drug drawn for this session is not accounted for. "
                + " ".join(open_drug)
                + " Then cancel the session.",
            )
        session.state = TreatmentSession.State.CANCELLED
        session.cancelled_at = timezone.now()
        session.cancel_reason = reason
        session.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        if session.appointment_id:
            set_appointment_status(session.appointment_id, Appointment.Status.CANCELLED)
    return session
