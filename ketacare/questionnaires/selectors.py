"""Reads for questionnaires: due lists and score series (patient already authorised)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.http import Http404

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.audit.services import record_access_event
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.questionnaires.schedule import before_session_key_prefix
from ketacare.questionnaires.signals import COURSE_ALERT_KEY_PREFIX


def baselines_taken_at_intake(patient: Patient) -> dict[str, dt.datetime]:
    """Instrument id -> when the clinic took its first valid baseline at intake (intake's record).

    That score is the patient's baseline on the scale (docs/decisions/0030): the baseline slot of the
    instrument is not asked again in the patient's own app.
    """
    taken: dict[str, dt.datetime] = {}
    for point in facts.intake_baselines(patient):  # oldest first
        taken.setdefault(point.instrument_id, point.completed_at)
    return taken


def due_assignments(*, patient: Patient, now: dt.datetime) -> QuerySet[QuestionnaireAssignment]:
    """Questionnaires due now or within a day, oldest first.

    A baseline the clinic took at intake is not due, even before the next scheduling run closes its
    slot (``services.schedule_questionnaires``).
    """
    due = QuestionnaireAssignment.objects.filter(
        patient=patient, state=QuestionnaireAssignment.State.DUE, due_at__lte=now + dt.timedelta(days=1)
    )
    taken = baselines_taken_at_intake(patient)
    if taken:
        due = due.exclude(reason=QuestionnaireAssignment.Reason.BASELINE, instrument_id__in=list(taken))
    return due.order_by("due_at", "id")


def due_questionnaires(*, patient: Patient, now: dt.datetime) -> list[QuestionnaireAssignment]:
    """What the patient is asked to fill in: each instrument once, at its oldest due assignment.

    Several assignments of one instrument can be due together (a weekly one missed, the next one
    due); one answer completes all of them (``services.submit_questionnaire``), so the patient sees the
    questionnaire once, not once per slot.
    """
    first: dict[str, QuestionnaireAssignment] = {}
    for assignment in due_assignments(patient=patient, now=now):
        first.setdefault(assignment.instrument_id, assignment)
    return list(first.values())


def patient_responses(*, patient: Patient) -> QuerySet[QuestionnaireResponse]:
    """The patient's valid responses, oldest first."""
    return QuestionnaireResponse.objects.filter(
        patient=patient, status=QuestionnaireResponse.Status.VALID
    ).order_by("submitted_at", "id")


def before_session_assignments(*, patient: Patient, session_id: str) -> QuerySet[QuestionnaireAssignment]:
    """The questionnaires scheduled before one session (any state), with their responses, in due order.

    ``session_id`` is the id the schedule knows the session by (the appointment's public id).
    """
    return (
        QuestionnaireAssignment.objects.filter(
            patient=patient,
            reason=QuestionnaireAssignment.Reason.BEFORE_SESSION,
            schedule_key__startswith=before_session_key_prefix(session_id),
        )
        .prefetch_related("responses")
        .order_by("due_at", "id")
    )


def responses_since(
    *, patient: Patient, instrument_id: str, since: dt.datetime
) -> QuerySet[QuestionnaireResponse]:
    """The patient's valid responses to one instrument submitted at or after ``since``, oldest first."""
    return patient_responses(patient=patient).filter(instrument_id=instrument_id, submitted_at__gte=since)


def lock_assignment(pk: int) -> QuestionnaireAssignment:
    """One assignment, locked for update inside the caller's transaction."""
    return QuestionnaireAssignment.objects.select_for_update().get(pk=pk)


def access_response(user: User, public_id: str, *, action: str = "read") -> QuestionnaireResponse:
    """Return one questionnaire response if the user may see its patient, else Http404 (audited either way).

    An id that names no response leaves a denied row naming the id asked for; another patient's
    response is refused by ``access_patient`` (a denied row filed under that patient).
    """
    try:
        key: uuid.UUID | None = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    response = (
        QuestionnaireResponse.objects.select_related("patient", "patient__clinic")
        .filter(public_id=key)
        .first()
        if key
        else None
    )
    if response is None:
        record_access_event(
            action=action,
            outcome="denied",
            object_type="questionnaire_response",
            object_id=str(public_id)[:64],
        )
        raise Http404("No such questionnaire response")
    response.patient = access_patient(user, response.patient.public_id, action=action)
    return response


def course_alert_raised(response: QuestionnaireResponse) -> bool:
    """Whether this score raised a course alert (worsening, loss of response) for the care team: the
    key ``signals.course_alert_key`` gives it names the instrument and the score's time."""
    return Alert.objects.filter(
        patient_id=response.patient_id,
        source=Alert.Source.WORSENING_TREND,
        dedupe_key__startswith=f"{COURSE_ALERT_KEY_PREFIX}{response.instrument_id}:",
        dedupe_key__endswith=f":{response.submitted_at.isoformat()}",
    ).exists()
