"""Writes for alerts: `raise_alert` runs inside the transaction of the submission that causes it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import (
    CLINIC_SOURCES,
    PRESCRIBER_ONLY_MESSAGE,
    RESOLVED_BY_CAUSE,
    Alert,
    AlertPolicy,
)
from ketacare.alerts.resolution import (  # noqa: F401 - the names callers import from services
    ASSESSED_BY_MAX_CHARS,
    CAUSE_NOTE_REQUIRED_MESSAGE,
    RESOLUTION_NOTE_MIN_CHARS,
    RESOLUTION_NOTE_REQUIRED_MESSAGE,
    SUICIDE_RED_FLAGS,
    SUICIDE_RISK_SOURCES,
    ResolutionIncomplete,
    is_emergency_or_suicide_risk,
    needs_resolution_note,
    resolution_note_reason,
    resolution_problems,
)
from ketacare.alerts.selectors import clinic_prescribers, may_resolve
from ketacare.alerts.signals import alert_escalated, alert_raised
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import escalation_recipient
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.lib.links import absolute_url
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)


def _announce(signal: Any, alert: Alert) -> Alert:
    """Tell the higher floors (webhooks) inside this transaction; a failing receiver never costs the alert."""
    for receiver, result in signal.send_robust(sender=Alert, alert=alert):
        if isinstance(result, Exception):
            logger.error("alert %s receiver %s failed: %s", alert.public_id, receiver, type(result).__name__)
    return alert


class AlertOutsideTransactionError(RuntimeError):
    """raise_alert was called outside a transaction: the alert could be lost apart from its cause."""


def raise_alert(
    *,
    patient: Patient,
    source: str,
    severity: str,
    title: str,
    detail: str = "",
    dedupe_key: str | None = None,
    new_cause: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Alert:
    """Create an open alert for the patient's clinic, assigned to their primary clinician.

    Must be called inside the transaction of the submission that causes it (docs/security.md S12), so
    that a submission is never stored without its alert. With ``dedupe_key`` the same cause raises
    one alert: a second call returns the first one. ``new_cause`` says the cause was created in this
    same transaction (its key names a row that did not exist before it), so no earlier alert can hold
    the key: the alert is inserted without the lookup and the savepoint that guard a retry or a race.
    ``evidence`` is what the alert's page shows beside it (e.g. where and when the answers came from,
    the link to answer the patient), as data.
    """
    return _raise(
        {
            "clinic_id": patient.clinic_id,
            "patient": patient,
            "assignee_id": patient.primary_clinician_id,
            "evidence": evidence or {},
        },
        Alert.objects.filter(patient=patient),
        source=source,
        severity=severity,
        title=title,
        detail=detail,
        dedupe_key=dedupe_key,
        new_cause=new_cause,
    )


def raise_clinic_alert(
    *,
    clinic: Any,
    source: str,
    severity: str,
    title: str,
    detail: str = "",
    dedupe_key: str | None = None,
    new_cause: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Alert:
    """Create an open alert about the clinic itself (no patient, no assignee) in its staff's inbox.

    Only a source of ``CLINIC_SOURCES`` may (a database check refuses the others); otherwise exactly
    as `raise_alert`: inside the cause's transaction, one alert per ``dedupe_key`` in the clinic.
    """
    if source not in CLINIC_SOURCES:
        raise ValueError(f"source {source!r} is about a patient; clinic-level: {', '.join(CLINIC_SOURCES)}")
    return _raise(
        {"clinic_id": clinic.pk, "patient": None, "assignee_id": None, "evidence": evidence or {}},
        Alert.objects.filter(clinic_id=clinic.pk, patient__isnull=True),
        source=source,
        severity=severity,
        title=title,
        detail=detail,
        dedupe_key=dedupe_key,
        new_cause=new_cause,
    )


def _raise(
    about: dict[str, Any],
    same_scope: Any,
    *,
    source: str,
    severity: str,
    title: str,
    detail: str,
    dedupe_key: str | None,
    new_cause: bool,
) -> Alert:
    if not transaction.get_connection().in_atomic_block:
        raise AlertOutsideTransactionError("raise_alert must run inside the submission's transaction")
    if source not in Alert.Source.values:
        raise ValueError(f"source {source!r} is not one of {', '.join(Alert.Source.values)}")
    if severity not in Alert.Severity.values:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(Alert.Severity.values)}")
    fields = {
        **about,
        "source": source,
        "severity": severity,
        "title": title[:200],
        "detail": detail,
        "dedupe_key": dedupe_key or "",
    }
    if new_cause:
        return _announce(alert_raised, Alert.objects.create(**fields))
    if dedupe_key:
        existing = same_scope.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            created = Alert.objects.create(**fields)
        return _announce(alert_raised, created)
    except IntegrityError:
        # A concurrent submission of the same cause won the race: return its alert.
        return same_scope.get(dedupe_key=dedupe_key)


class AlertTransitionError(ValueError):
    """The alert is not in a state that allows this transition (names the state and the allowed ones)."""


NOTE_MAX_CHARS = 2000


def _audit_transition(alert: Alert, user: User | None) -> None:

    record_access_event(
        action="write",
        outcome="granted",
        user=user,
        patient=alert.patient,
        clinic=alert.clinic,
        object_type="alert",
        object_id=str(alert.public_id),
    )


def _clean_note(note: str, *, required: bool, acknowledging: bool = False) -> str:
    text = (note or "").strip()
    if required and not text:
        raise AlertTransitionError(
            "note is required to acknowledge: say what you are doing about it (1 to 2000 characters)"
            if acknowledging
            else "note is required: say what was done (1 to 2000 characters)"
        )
    if len(text) > NOTE_MAX_CHARS:
        raise AlertTransitionError(f"note has {len(text)} characters; the maximum is {NOTE_MAX_CHARS}")
    return text


def acknowledge_alert(*, alert: Alert, user: User, note: str, now: datetime | None = None) -> Alert:
    """Mark an open alert acknowledged by ``user`` with a note saying what they are doing about it.

    The note is required: it tells the rest of the staff, in the inbox, who took it and what is being
    done ("calling the patient now"), so nobody else starts the same thing (decision 0008).
    """
    text = _clean_note(note, required=True, acknowledging=True)
    with transaction.atomic():
        # Lock the alert row only: PostgreSQL refuses FOR UPDATE on the outer join of a null patient.
        locked = (
            Alert.objects.select_for_update(of=("self",)).select_related("patient", "clinic").get(pk=alert.pk)
        )
        if locked.state != Alert.State.OPEN:
            raise AlertTransitionError(f"alert is {locked.state}; only an open alert can be acknowledged")
        locked.state = Alert.State.ACKNOWLEDGED
        locked.acknowledged_at = now or timezone.now()
        locked.acknowledged_by = user
        locked.note = text
        locked.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "note"])
        _audit_transition(locked, user)
    return locked


def resolve_alert(
    *,
    alert: Alert,
    user: User,
    note: str = "",
    now: datetime | None = None,
    by_cause: bool = False,
    outcome: str = "",
    assessed_by: str = "",
) -> Alert:
    """Resolve an acknowledged alert; resolving an open one acknowledges it too and needs a note.

    An alert of ``RESOLVED_BY_CAUSE`` is resolved only by its cause's record (``by_cause``, through
    `resolve_cause_alert`): the inbox refuses it and names where it is done. An alert that holds the
    next dose (``Alert.needs_prescriber``) is resolved only by a prescriber of its clinic: resolving it
    lifts the hold, so it is the prescriber's review (``NotPermitted`` for anyone else, a nurse or a
    clinic admin who is not a prescriber; they may still acknowledge it with a note). An emergency or
    suicide-risk alert (``needs_resolution_note``) is resolved only with its record complete, even when
    it was acknowledged with a note: a note of at least ``RESOLUTION_NOTE_MIN_CHARS`` saying what was
    done and the outcome, the ``outcome`` chosen from ``Alert.Outcome`` and who assessed the patient
    (``assessed_by``); ``ResolutionIncomplete`` names each gap and nothing is written. Any other alert
    may carry an outcome and an assessor too. Resolved by its cause, the cause's own record (a hold
    fixed at the chair, a count investigated) is what was done: its note is required, not the rest.
    """
    if alert.source in RESOLVED_BY_CAUSE and not by_cause:
        raise AlertTransitionError(
            f"this alert is resolved by {RESOLVED_BY_CAUSE[alert.source]}; here it can only be acknowledged"
        )
    # Before anything is written; what marks a held dose (source, key, words) never changes after the
    # alert is raised, so the unlocked row answers as the locked one would. Resolved by its cause, it is
    # the cause's record that closes it (a hold fixed at the chair), not anyone's review.
    if not by_cause and not may_resolve(user, alert):
        raise NotPermitted("", PRESCRIBER_ONLY_MESSAGE)
    # Severity and source never change after the alert is raised: checked before anything is written.
    if by_cause:
        if needs_resolution_note(alert) and not (note or "").strip():
            raise ResolutionIncomplete({"note": CAUSE_NOTE_REQUIRED_MESSAGE})
    else:
        problems = resolution_problems(alert, note=note, outcome=outcome, assessed_by=assessed_by)
        if problems:
            raise ResolutionIncomplete(problems)
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",)).select_related("patient", "clinic").get(pk=alert.pk)
        )
        if locked.state == Alert.State.RESOLVED:
            raise AlertTransitionError(
                "alert is resolved already; only an open or acknowledged alert can be resolved"
            )
        text = _clean_note(note, required=locked.state == Alert.State.OPEN)
        moment = now or timezone.now()
        if locked.state == Alert.State.OPEN:
            locked.acknowledged_at, locked.acknowledged_by, locked.note = moment, user, text
        locked.state = Alert.State.RESOLVED
        locked.resolved_at = moment
        locked.resolved_by = user
        locked.resolution_note = text
        locked.resolution_outcome = (outcome or "").strip()
        locked.resolution_assessed_by = " ".join((assessed_by or "").split())
        locked.save()
        if not by_cause:
            # By its cause, the cause's own write is the audited access (as raising one is).
            _audit_transition(locked, user)
    return locked


def resolve_cause_alert(*, clinic: Any, dedupe_key: str, user: User, note: str) -> Alert | None:
    """Resolve the clinic-level alert its cause raised (by ``dedupe_key``), with the cause's note.

    Runs inside the cause's own transaction (e.g. the investigation of a count difference), so the
    record and its alert close together. None when no such alert is still open or acknowledged.
    """
    alert = (
        Alert.objects.filter(clinic_id=clinic.pk, patient__isnull=True, dedupe_key=dedupe_key)
        .exclude(state=Alert.State.RESOLVED)
        .first()
    )
    if alert is None:
        return None
    return resolve_alert(alert=alert, user=user, note=note[:NOTE_MAX_CHARS], by_cause=True)


class EscalationMinutes(NamedTuple):
    """A clinic's two escalation times: every other alert, and an emergency or suicide-risk one."""

    routine: int
    emergency: int


DEFAULT_ESCALATION = EscalationMinutes(
    AlertPolicy.DEFAULT_ESCALATE_AFTER_MIN, AlertPolicy.DEFAULT_EMERGENCY_ESCALATE_AFTER_MIN
)


def escalation_times(clinic_id: int) -> EscalationMinutes:
    """The clinic's escalation times (AlertPolicy), or the defaults (clinic practice)."""
    row = (
        AlertPolicy.objects.filter(clinic_id=clinic_id)
        .values_list("escalate_after_min", "emergency_escalate_after_min")
        .first()
    )
    return EscalationMinutes(*row) if row is not None else DEFAULT_ESCALATION


_ROUTINE_LOW, _ROUTINE_HIGH = AlertPolicy.ESCALATE_MIN_RANGE
_EMERGENCY_LOW, _EMERGENCY_HIGH = AlertPolicy.EMERGENCY_ESCALATE_MIN_RANGE
ROUTINE_RANGE_MESSAGE = (
    f"Other alerts: the escalation time must be a whole number from {_ROUTINE_LOW} to {_ROUTINE_HIGH} "
    "minutes (7 days)"
)
EMERGENCY_RANGE_MESSAGE = (
    "Emergency and suicide-risk alerts: the escalation time must be a whole number from "
    f"{_EMERGENCY_LOW} to {_EMERGENCY_HIGH} minutes"
)


def _whole_minutes(value: object, bounds: tuple[int, int]) -> int | None:
    """The value when it is a whole number of minutes within ``bounds``, else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        return None
    return value


def routine_minutes_error(value: object) -> str:
    """Why a routine escalation time is refused ("" when it is allowed): names the field and the range."""
    return "" if _whole_minutes(value, AlertPolicy.ESCALATE_MIN_RANGE) else ROUTINE_RANGE_MESSAGE


def emergency_minutes_error(value: object, *, routine_min: int) -> str:
    """Why an emergency escalation time is refused ("" when allowed): 1 to 60 minutes, and never longer
    than the time for the other alerts (else an emergency would wait longer than a routine alert)."""
    minutes = _whole_minutes(value, AlertPolicy.EMERGENCY_ESCALATE_MIN_RANGE)
    if minutes is None:
        return EMERGENCY_RANGE_MESSAGE
    if minutes > routine_min:
        return (
            f"Emergency and suicide-risk alerts: the escalation time ({minutes} minutes) must not be longer "
            f"than the time for other alerts ({routine_min} minutes)"
        )
    return ""


def set_alert_policy(
    *, clinic: Any, escalate_after_min: int, emergency_escalate_after_min: int | None = None
) -> None:
    """Set a clinic's escalation times in minutes: other alerts 5 to 10080 (7 days), emergencies and
    suicide risk 1 to 60 and not longer than the other time (kept as it is when not given).

    ``FieldError`` names the field and the allowed range; nothing is written then.
    """
    routine_error = routine_minutes_error(escalate_after_min)
    if routine_error:
        raise FieldError("escalate_after_min", routine_error)
    if emergency_escalate_after_min is None:
        emergency_escalate_after_min = min(escalation_times(clinic.pk).emergency, escalate_after_min)
    emergency_error = emergency_minutes_error(emergency_escalate_after_min, routine_min=escalate_after_min)
    if emergency_error:
        raise FieldError("emergency_escalate_after_min", emergency_error)
    with transaction.atomic():
        AlertPolicy.objects.update_or_create(
            clinic=clinic,
            defaults={
                "escalate_after_min": escalate_after_min,
                "emergency_escalate_after_min": emergency_escalate_after_min,
            },
        )


def _emergency_recipients(
    alert: Alert, contact: User | None, prescribers: list[User]
) -> tuple[User | None, list[User]]:
    """Who an unacknowledged emergency or suicide-risk alert escalates to: (``escalated_to``, every
    address to e-mail).

    Every active prescriber of the clinic (``prescribers``) is e-mailed, and the clinic's escalation contact too (the clinic
    admin by default, who can find a clinician), so the first clinician free sees it. The one recorded as
    ``escalated_to`` is the escalation contact when they are a prescriber; otherwise the longest-standing
    prescriber other than the patient's own clinician, who had the alert already; otherwise that
    clinician; with no prescriber at all, the escalation contact.
    """
    others = [p for p in prescribers if p.pk != alert.assignee_id]
    if contact is not None and any(p.pk == contact.pk for p in prescribers):
        owner: User | None = contact
    elif others:
        owner = others[0]
    elif prescribers:
        owner = prescribers[0]
    else:
        owner = contact
    notified = {user.pk: user for user in [*prescribers, *([contact] if contact else [])]}
    return owner, list(notified.values())


def escalate_overdue_alerts(*, now: datetime) -> list[Alert]:
    """Escalate open alerts left unacknowledged past their clinic's AlertPolicy time.

    An emergency or suicide-risk alert (`is_emergency_or_suicide_risk`) escalates after the clinic's
    emergency time to its prescribers (`_emergency_recipients`); every other alert after the routine time
    to the clinic's escalation contact (``clinics.selectors.escalation_recipient``: the contact the
    settings page names, else the longest-standing active clinic admin). The one chosen becomes
    ``escalated_to``; one e-mail with a link and no patient data goes to everyone notified, after commit.
    Each alert escalates once (``escalated_at``), audited with one write row and announced once to the
    webhooks. Returns the alerts escalated now. Safe to run from any scheduler, as often as wanted: a
    second run at the same time escalates nothing.
    """

    escalated: list[Alert] = []
    policies = {
        clinic_id: EscalationMinutes(routine, emergency)
        for clinic_id, routine, emergency in AlertPolicy.objects.values_list(
            "clinic_id", "escalate_after_min", "emergency_escalate_after_min"
        )
    }
    # The earliest possible deadline bounds the scan; each alert's own time is applied below.
    shortest = min(min(times) for times in [DEFAULT_ESCALATION, *policies.values()])
    candidates = (
        Alert.objects.filter(
            state=Alert.State.OPEN,
            escalated_at__isnull=True,
            created_at__lte=now - timedelta(minutes=shortest),
        )
        .select_related("clinic", "patient")
        .order_by("created_at", "id")
    )
    contacts: dict[int, User | None] = {}
    prescribers: dict[int, list[User]] = {}
    for alert in candidates:
        times = policies.get(alert.clinic_id, DEFAULT_ESCALATION)
        early = is_emergency_or_suicide_risk(alert)
        minutes = times.emergency if early else times.routine
        if alert.created_at > now - timedelta(minutes=minutes):
            continue
        if alert.clinic_id not in contacts:
            # The person the clinic settings page names as the escalation contact.
            contacts[alert.clinic_id] = escalation_recipient(alert.clinic)
        contact = contacts[alert.clinic_id]
        if early:
            if alert.clinic_id not in prescribers:
                prescribers[alert.clinic_id] = clinic_prescribers(alert.clinic_id)
            owner, notified = _emergency_recipients(alert, contact, prescribers[alert.clinic_id])
        else:
            owner, notified = contact, [contact] if contact else []
        with transaction.atomic():
            updated = Alert.objects.filter(
                pk=alert.pk, state=Alert.State.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now, escalated_to=owner)
            if not updated:
                continue  # acknowledged or escalated meanwhile
            alert.escalated_at, alert.escalated_to = now, owner
            _audit_transition(alert, None)
            _announce(alert_escalated, alert)
            emails = [email for email in (str(user.email or "") for user in notified) if email]
            if emails:
                # In the same transaction: the outbox row commits with the escalation (docs/decisions/0018).
                _mail_escalation(alert, emails, minutes=minutes, early=early)
        escalated.append(alert)
    return escalated


def _mail_escalation(alert: Alert, to: list[str], *, minutes: int, early: bool) -> None:

    # No patient data in the e-mail: the link opens the alert after sign-in and MFA. One message to
    # everyone notified, so each escalation is one outbox row (docs/decisions/0018).
    level = alert.get_severity_display().lower()
    if early:
        subject = f"KetaCare: {level} alert not acknowledged in {minutes} minutes"
        why = "It needs a clinician now: it was escalated to the clinic's prescribers and escalation contact."
    else:
        subject = "KetaCare: an alert was not acknowledged in time"
        why = "It was escalated to you as the clinic's escalation contact."
    # The worker sends this, outside any request: only an absolute link opens from a mail client.
    link = absolute_url(reverse("alerts:detail", kwargs={"alert_id": str(alert.public_id)}))
    send_mail(
        subject=subject,
        message=(
            f"An alert at {alert.clinic.name} (level: {level}) has not been acknowledged within {minutes} "
            f"minutes. {why} Open it: {link}"
        ),
        from_email=None,
        recipient_list=to,
    )


def record_refused_action(alert: Alert, action_name: str) -> None:
    """The denied audit row of a role refusal on an alert this user may open (its read was granted).

    The page and the API both leave it, so the audit report shows who tried to lift a hold.
    """
    record_access_event(
        action="write",
        outcome="denied",
        patient=alert.patient,
        clinic=alert.clinic,
        object_type="action",
        object_id=action_name[:64],
    )
