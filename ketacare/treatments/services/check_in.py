"""Check-in and the questionnaires due before the dose, entered or skipped at the chair."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.core import course
from ketacare.core.protocols import get_protocol
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.patients import facts
from ketacare.patients.facts import ResponseOutcome
from ketacare.treatments import selectors
from ketacare.treatments.models import PreDoseQuestionnaire, TreatmentSession
from ketacare.treatments.services._common import CLOCK_SKEW, check_text, core_error, require_state
from ketacare.treatments.services.dosing import recheck_holds
from ketacare.treatments.services.pathway import raise_hold_alerts

# Check-in is for today's visit: an earlier time is a typing error (a software limit).
MAX_CHECK_IN_AGE = dt.timedelta(hours=12)


def check_in_session(
    *,
    session: TreatmentSession,
    user: User,
    weight_kg: float,
    fasting_confirmed: bool,
    ride_home_confirmed: bool,
    medication_changes: str = "",
    checked_in_at: dt.datetime | None = None,
    pregnancy_reported: bool = False,
) -> TreatmentSession:
    """Check the patient in: today's weight (re-computes a weight-based dose), fasting, ride, medicines."""
    now = timezone.now()
    at = checked_in_at or now
    medication_changes = check_text("medication_changes", medication_changes)
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
            raise core_error(exc, "weight_kg") from None
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(session, TreatmentSession.State.SCHEDULED, action="check in")
        if not selectors.due_today(session, now):
            zone = selectors.clinic_zone(session.clinic)
            raise ConflictError(
                "checked_in_at",
                f"this session is booked for {session.scheduled_at.astimezone(zone):%A %-d %B %Y at %H:%M}; "
                f"check-in is only for sessions due today ({now.astimezone(zone):%A %-d %B}, clinic time)",
            )
        session.state = TreatmentSession.State.CHECKED_IN
        session.checked_in_at = at
        session.checked_in_by = user
        session.weight_kg = Decimal(str(round(weight_kg, 1)))
        session.fasting_confirmed = fasting_confirmed
        session.ride_home_confirmed = ride_home_confirmed
        session.pregnancy_reported = bool(pregnancy_reported)
        session.medication_changes = medication_changes
        session.planned_dose_mg = planned
        session.save()
        _schedule_pre_dose_questionnaires(session, now)
        # A hold known at check-in (no ride, not fasting, a new medicine, a red flag since the last
        # session) reaches a prescriber now, not when the nurse reaches for the dose.
        raise_hold_alerts(session, selectors.open_holds(session, now))
    return session


def update_check_in_confirmations(
    *, session: TreatmentSession, user: User, fasting_confirmed: bool, ride_home_confirmed: bool
) -> TreatmentSession:
    """Record at the chair, after check-in and before the dose, that fasting is confirmed or the ride home
    is arranged (or no longer is): a hold on either is then fixed instead of overridden.

    Each change leaves an audit row naming what was confirmed or withdrawn. The holds are decided again
    at once: a cause fixed closes its prescriber alert with a note, one withdrawn alerts again. Refused
    (ConflictError) once dosing has started: the go/no-go was passed with what was known then.
    """
    if not isinstance(fasting_confirmed, bool) or not isinstance(ride_home_confirmed, bool):
        raise FieldError(
            "fasting_confirmed", "fasting_confirmed and ride_home_confirmed must be true or false"
        )
    now = timezone.now()
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=session.pk)
        )
        if session.dose_started_at is not None or session.state != TreatmentSession.State.CHECKED_IN:
            raise ConflictError(
                "state",
                "the ride home and fasting are confirmed after check-in and before the dose; the session is "
                f"{session.get_state_display().lower()}",
            )
        changes = {
            "fasting_confirmed": (session.fasting_confirmed, fasting_confirmed),
            "ride_home_confirmed": (session.ride_home_confirmed, ride_home_confirmed),
        }
        changed = {field: new for field, (old, new) in changes.items() if old != new}
        if not changed:
            return session
        session.fasting_confirmed = fasting_confirmed
        session.ride_home_confirmed = ride_home_confirmed
        session.save(update_fields=["fasting_confirmed", "ride_home_confirmed"])
        words = {
            ("fasting_confirmed", True): ("fasting_confirmed", "fasting confirmed"),
            ("fasting_confirmed", False): ("fasting_not_confirmed", "fasting no longer confirmed"),
            ("ride_home_confirmed", True): ("ride_home_arranged", "ride home arranged"),
            ("ride_home_confirmed", False): ("ride_home_not_arranged", "ride home no longer arranged"),
        }
        for field, value in changed.items():
            record_access_event(
                action="write",
                outcome="granted",
                user=user,
                patient=session.patient,
                object_type=f"check_in_{words[field, value][0]}",
                object_id=str(session.public_id),
            )
        recheck_holds(
            session,
            user,
            now,
            event="the check-in was updated: " + ", ".join(words[f, v][1] for f, v in changed.items()),
        )
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
    require_state(session, TreatmentSession.State.CHECKED_IN, action="record a pre-dose questionnaire")
    if assignment.state != "due":
        raise ConflictError(
            "assignment", f"this questionnaire is {assignment.get_state_display().lower()} already, not due"
        )


def record_pre_dose_questionnaire(
    *,
    session: TreatmentSession,
    user: User,
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
    *, session: TreatmentSession, user: User, assignment: Any, reason: str
) -> PreDoseQuestionnaire:
    """Record that a questionnaire due before this session was not done, and why (it leaves the due list)."""
    reason = check_text("skip_reason", reason, required=True, limit=300)
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
