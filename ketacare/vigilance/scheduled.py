"""Alerts that come from time passing, not from a submission: run by `manage.py raise_due_alerts`.

- a side effect *seen present* past the core's "longer than expected" threshold for its route
  (``ketacare.core.knowledge`` side-effect courses), or that the patient says lasts longer than usual;
  an episode merely left open is not one: silence between check-ins is not a duration (the companion
  asks "is it gone?" instead, docs/decisions/0014);
- a questionnaire still due :data:`MISSED_QUESTIONNAIRE_GRACE` after its due time;
- a REMS patient monitoring form not submitted within :data:`REMS_WARNING` of its deadline (the
  deadline itself, 7 days after the session, comes from the core via the treatments feature);
- the periodic bladder and misuse checks (``luts_check``, ``misuse_check``, decision 0012 rule 20):
  assigned when the core's ``check_due`` says so, and a completed check that ``evaluate_check`` finds
  positive raises its clinic alert (a positive bladder check also pauses the next dose until a
  prescriber resolves the alert; ``patients.facts.next_dose_hold`` reads it). The alert is raised at
  once when the response is stored (``on_response_stored``) and again by this job as a safety net.

Each cause raises one alert (a dedupe key per cause), for the patient's clinic and primary
clinician. The keys are the ones the submissions use when they raise the same alert at the moment it
arises (a check-in's "longer than expected" uses ``side_effect_overdue:<episode>``), so this safety
net never doubles an alert already raised. A REMS form's "due soon" and "overdue" are two steps of
escalation, each raised once. The grace and warning times are clinic practice (no published figure).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.dateformat import format as date_format

from ketacare.alerts.models import HOLDS_NEXT_DOSE, Alert
from ketacare.alerts.services import raise_alert
from ketacare.checkins.alert_words import longer_than_expected_words
from ketacare.checkins.facts_provided import HOLD_KEY_PREFIX
from ketacare.checkins.models import SymptomReport
from ketacare.core.display import instrument_short
from ketacare.core.knowledge import UnknownIdError, get_source, knowledge
from ketacare.core.vigilance import check_due, evaluate_check
from ketacare.intake.models import BaselineScore
from ketacare.patients.models import Patient
from ketacare.patients.templatetags.ketacare_display import zone_place
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.treatments.models import RemsForm, TreatmentSession
from ketacare.treatments.selectors import patient_doses

MISSED_QUESTIONNAIRE_GRACE = dt.timedelta(hours=48)  # clinic practice
REMS_WARNING = dt.timedelta(hours=48)  # clinic practice: two days before the deadline
# The source of the form's 7-day deadline (core.monitoring), named in words in the alert.
REMS_FORM_SOURCE = "REMS-PMF"


def raise_side_effect_overdue_alerts(*, now: dt.datetime) -> list[Alert]:
    """One alert per open side effect seen present past its route's longer-than-expected threshold."""
    raised = []
    effects = knowledge().side_effects
    open_reports = SymptomReport.objects.filter(
        kind=SymptomReport.Kind.SIDE_EFFECT, resolved_at__isnull=True, dose_started_at__isnull=False
    ).select_related("patient__clinic")
    for report in open_reports.iterator():
        effect = effects.get(report.symptom_id)
        if effect is None or not report.route:
            continue
        try:
            threshold = effect.course(report.route).longer_than_expected_after_min
        except UnknownIdError:
            continue
        assert report.dose_started_at is not None  # noqa: S101 - filtered above
        seen = report.last_seen_at or report.started_at
        seen_minutes = (seen - report.dose_started_at).total_seconds() / 60
        if seen_minutes <= threshold and not report.says_longer:
            continue
        # The words of the check-in's own alert for the same episode (dose day, overrun in hours), so
        # the inbox reads the same whichever path raised it.
        title, detail = longer_than_expected_words(
            report, minutes=seen_minutes, time_zone=report.patient.clinic.time_zone
        )
        with transaction.atomic():
            raised.append(
                raise_alert(
                    patient=report.patient,
                    source=Alert.Source.SIDE_EFFECT_OVERDUE,
                    severity=Alert.Severity.CONTACT_CLINIC,
                    title=title,
                    detail=detail,
                    dedupe_key=f"side_effect_overdue:{report.public_id}",
                )
            )
    return raised


def raise_missed_questionnaire_alerts(*, now: dt.datetime) -> list[Alert]:
    """One information alert per questionnaire still due 48 h after its due time.

    A baseline the clinic took at intake is not missed, whether or not a scheduling run has closed
    its slot yet (docs/decisions/0030).
    """
    raised = []
    taken_at_intake = BaselineScore.objects.filter(
        patient_id=OuterRef("patient_id"), instrument_id=OuterRef("instrument_id"), status="valid"
    )
    missed = (
        QuestionnaireAssignment.objects.filter(
            state=QuestionnaireAssignment.State.DUE, due_at__lt=now - MISSED_QUESTIONNAIRE_GRACE
        )
        .exclude(Q(reason=QuestionnaireAssignment.Reason.BASELINE) & Exists(taken_at_intake))
        .select_related("patient__clinic")
    )
    for assignment in missed.iterator():
        zone = assignment.patient.clinic.time_zone
        due = date_format(assignment.due_at.astimezone(ZoneInfo(zone)), "D j M Y, H:i")
        with transaction.atomic():
            raised.append(
                raise_alert(
                    patient=assignment.patient,
                    source=Alert.Source.MISSED_CHECKIN,
                    severity=Alert.Severity.INFO,
                    title=f"Questionnaire not completed: {instrument_short(assignment.instrument_id)}",
                    detail=f"Due {due} (clinic time, {zone_place(zone)}; {assignment.get_reason_display().lower()}).",
                    dedupe_key=f"missed_questionnaire:{assignment.public_id}",
                )
            )
    return raised


def raise_rems_deadline_alerts(*, now: dt.datetime) -> list[Alert]:
    """One alert per REMS monitoring form not yet submitted 48 h before (or past) its deadline."""
    raised = []
    forms = RemsForm.objects.filter(submitted_at__isnull=True, due_at__lte=now + REMS_WARNING).select_related(
        "patient__clinic", "session"
    )
    source = get_source(REMS_FORM_SOURCE).citation
    for form in forms.iterator():
        overdue = form.due_at < now
        # The alert is read on the clinic's pages, so the deadline is on the clinic's clock, written as
        # the REMS pages write it ("Sat 28 Nov 2026, 10:15"); the text is stored, so it names the zone.
        zone = form.patient.clinic.time_zone
        due = date_format(form.due_at.astimezone(ZoneInfo(zone)), "D j M Y, H:i")
        # One form per session: the title names the session, so a patient's several forms are told apart
        # in the inbox without opening each.
        held = form.session.dose_started_at or form.session.scheduled_at
        session_day = date_format(held.astimezone(ZoneInfo(zone)), "D j M")
        with transaction.atomic():
            raised.append(
                raise_alert(
                    patient=form.patient,
                    source=Alert.Source.REMS_DEADLINE,
                    severity=Alert.Severity.URGENT if overdue else Alert.Severity.CONTACT_CLINIC,
                    title=(
                        f"REMS monitoring form overdue (session of {session_day})"
                        if overdue
                        else f"REMS monitoring form due soon (session of {session_day})"
                    ),
                    detail=(
                        f"Submit the patient monitoring form by {due} (clinic time, {zone_place(zone)}). "
                        f"Source: {source}."
                    ),
                    dedupe_key=f"rems:{form.public_id}:{'overdue' if overdue else 'due'}",
                )
            )
    return raised


PERIODIC_CHECKS = ("luts_check", "misuse_check")
CHECK_TITLES = {"luts_check": "Bladder check", "misuse_check": "Cravings and misuse check"}


def _last_completed(patient: Patient, instrument_id: str) -> dt.datetime | None:
    row = (
        QuestionnaireResponse.objects.filter(
            patient=patient, instrument_id=instrument_id, status=QuestionnaireResponse.Status.VALID
        )
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    return row


def assign_periodic_checks(*, now: dt.datetime) -> list[QuestionnaireAssignment]:
    """Assign each periodic check due now (``core.vigilance.check_due``) to each patient on treatment;
    idempotent: one assignment per due date, none while one is still open."""
    created: list[QuestionnaireAssignment] = []
    treated = (
        TreatmentSession.objects.filter(dose_started_at__isnull=False, dose_started_at__lte=now)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    for patient in Patient.objects.filter(pk__in=treated).iterator():
        doses = patient_doses(patient, now=now)
        if not doses:
            continue
        for check_id in PERIODIC_CHECKS:
            due = check_due(
                check_id,
                first_dose_at=doses[0].started_at,
                last_completed_at=_last_completed(patient, check_id),
                now=now,
            )
            if not due.due_now or due.due_at is None:
                continue
            still_open = QuestionnaireAssignment.objects.filter(
                patient=patient, instrument_id=due.instrument_id, state=QuestionnaireAssignment.State.DUE
            ).exists()
            if still_open:
                continue
            with transaction.atomic():
                assignment, new = QuestionnaireAssignment.objects.get_or_create(
                    patient=patient,
                    schedule_key=f"vigilance:{check_id}:{due.due_at:%Y-%m-%d}",
                    defaults={
                        "clinic_id": patient.clinic_id,
                        "instrument_id": due.instrument_id,
                        # No "periodic check" reason exists yet in the questionnaires app; these checks
                        # run for as long as treatment lasts, as maintenance questionnaires do.
                        "reason": QuestionnaireAssignment.Reason.MAINTENANCE,
                        "due_at": due.due_at,
                    },
                )
            if new:
                created.append(assignment)
    return created


def raise_positive_check_alerts(*, patient: Patient | None = None) -> list[Alert]:
    """One clinic alert per completed periodic check that ``evaluate_check`` finds positive.

    Must run inside a transaction when called from a submission (the receiver below); the job opens
    one per alert. A positive bladder check carries the hold on the next dose (key ``next_dose_hold:``).
    """
    raised = []
    responses = QuestionnaireResponse.objects.filter(
        instrument_id__in=PERIODIC_CHECKS, status=QuestionnaireResponse.Status.VALID
    ).select_related("patient")
    if patient is not None:
        responses = responses.filter(patient=patient)
    for response in responses.iterator():
        outcome = evaluate_check(response.instrument_id, response.answers)
        if not outcome.alert:
            continue
        title = f"{CHECK_TITLES[response.instrument_id]}: answered yes"
        if outcome.hold_next_dose:
            title += "; next dose paused until a prescriber reviews"
            key = f"{HOLD_KEY_PREFIX}check:{response.public_id}"
        else:
            key = f"check:{response.public_id}"
        with transaction.atomic():
            raised.append(
                raise_alert(
                    patient=response.patient,
                    source=Alert.Source.DOSING_HOLD
                    if outcome.hold_next_dose
                    else Alert.Source.PERIODIC_CHECK,
                    severity=outcome.level.value,
                    title=title,
                    detail=" ".join(outcome.clinician_messages),
                    dedupe_key=key,
                    evidence={HOLDS_NEXT_DOSE: True} if outcome.hold_next_dose else None,
                )
            )
    return raised


def on_response_stored(sender: object, *, patient: Patient, now: dt.datetime, **kwargs: object) -> None:
    """Receiver of ``questionnaires.signals.response_stored``: a positive check alerts at once."""
    raise_positive_check_alerts(patient=patient)
