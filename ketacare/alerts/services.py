"""Writes for alerts: `raise_alert` runs inside the transaction of the submission that causes it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import (
    CLINIC_SOURCES,
    PRESCRIBER_ONLY_MESSAGE,
    RESOLVED_BY_CAUSE,
    Alert,
    AlertPolicy,
)
from ketacare.alerts.selectors import may_resolve
from ketacare.alerts.signals import alert_escalated, alert_raised
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import escalation_recipient
from ketacare.lib.errors import FieldError, NotPermitted
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

# Sources about suicide risk: closing one of them, like any emergency, needs a note saying what was done.
SUICIDE_RISK_SOURCES = (Alert.Source.PHQ9_ITEM9,)
# The knowledge base's red flags about suicide (red_flags.toml), named in a check-in's or a message's
# alert evidence: "without a plan" is urgent, not an emergency, and still needs the note.
SUICIDE_RED_FLAGS = frozenset({"suicidal_thoughts_without_plan", "suicidal_thoughts_with_plan"})
RESOLUTION_NOTE_REQUIRED_MESSAGE = (
    "note is required to resolve this alert: write what was done and the outcome (for example: risk "
    "assessment done, plan agreed, patient reached or not reached)"
)


class ResolutionNoteRequired(FieldError):
    """An emergency or suicide-risk alert was resolved without a note saying what was done and the outcome."""

    def __init__(self) -> None:
        super().__init__("note", RESOLUTION_NOTE_REQUIRED_MESSAGE)


def needs_resolution_note(alert: Alert) -> bool:
    """Whether resolving the alert needs a note: every emergency and every suicide-risk alert (a PHQ-9
    item 9 answer, or thoughts of suicide among a check-in's or a message's red flags)."""
    flags = (alert.evidence or {}).get("red_flags") or ()
    return (
        alert.severity == Alert.Severity.EMERGENCY
        or alert.source in SUICIDE_RISK_SOURCES
        or any(flag in SUICIDE_RED_FLAGS for flag in flags)
    )


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


def _clean_note(note: str, *, required: bool) -> str:
    text = (note or "").strip()
    if required and not text:
        raise AlertTransitionError("note is required: say what was done (1 to 2000 characters)")
    if len(text) > NOTE_MAX_CHARS:
        raise AlertTransitionError(f"note has {len(text)} characters; the maximum is {NOTE_MAX_CHARS}")
    return text


def acknowledge_alert(*, alert: Alert, user: User, note: str, now: datetime | None = None) -> Alert:
    """Mark an open alert acknowledged by ``user`` with a note saying what was done."""
    text = _clean_note(note, required=True)
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
    *, alert: Alert, user: User, note: str = "", now: datetime | None = None, by_cause: bool = False
) -> Alert:
    """Resolve an acknowledged alert; resolving an open one acknowledges it too and needs a note.

    An alert of ``RESOLVED_BY_CAUSE`` is resolved only by its cause's record (``by_cause``, through
    `resolve_cause_alert`): the inbox refuses it and names where it is done. An alert that holds the
    next dose (``Alert.needs_prescriber``) is resolved only by a prescriber of its clinic: resolving it
    lifts the hold, so it is the prescriber's review (``NotPermitted`` for anyone else, a nurse or a
    clinic admin who is not a prescriber; they may still acknowledge it with a note). An emergency or
    suicide-risk alert (``needs_resolution_note``) is resolved only with a note saying what was done and
    the outcome (``ResolutionNoteRequired``, naming ``note``), even when it was acknowledged with one.
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
    if needs_resolution_note(alert) and not (note or "").strip():
        raise ResolutionNoteRequired()
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


def escalation_minutes(clinic_id: int) -> int:
    """The clinic's escalation time (AlertPolicy), or the default (clinic practice)."""

    minutes = (
        AlertPolicy.objects.filter(clinic_id=clinic_id).values_list("escalate_after_min", flat=True).first()
    )
    return minutes if minutes is not None else AlertPolicy.DEFAULT_ESCALATE_AFTER_MIN


def set_alert_policy(*, clinic: Any, escalate_after_min: int) -> None:
    """Set a clinic's escalation time in minutes (5 to 10080, i.e. 7 days)."""

    if (
        isinstance(escalate_after_min, bool)
        or not isinstance(escalate_after_min, int)
        or not 5 <= escalate_after_min <= 10080
    ):
        raise AlertTransitionError(
            f"escalate_after_min {escalate_after_min!r} must be a whole number from 5 to 10080"
        )
    with transaction.atomic():
        AlertPolicy.objects.update_or_create(
            clinic=clinic, defaults={"escalate_after_min": escalate_after_min}
        )


def escalate_overdue_alerts(*, now: datetime) -> list[Alert]:
    """Escalate open alerts older than their clinic's AlertPolicy time to the clinic admin.

    Each alert escalates once (``escalated_at``); the clinic admin (the longest-standing active
    ``clinic_admin`` membership) becomes ``escalated_to`` and is e-mailed a link without patient
    data after commit. Returns the alerts escalated now. Safe to run from any scheduler, as often
    as wanted: a second run at the same time escalates nothing.
    """

    escalated: list[Alert] = []
    policies = dict(AlertPolicy.objects.values_list("clinic_id", "escalate_after_min"))
    default = AlertPolicy.DEFAULT_ESCALATE_AFTER_MIN
    # The earliest possible deadline bounds the scan; the per-clinic time is applied below.
    shortest = min([default, *policies.values()])
    candidates = (
        Alert.objects.filter(
            state=Alert.State.OPEN,
            escalated_at__isnull=True,
            created_at__lte=now - timedelta(minutes=shortest),
        )
        .select_related("clinic", "patient")
        .order_by("created_at", "id")
    )
    admins: dict[int, User | None] = {}
    for alert in candidates:
        minutes = policies.get(alert.clinic_id, default)
        if alert.created_at > now - timedelta(minutes=minutes):
            continue
        if alert.clinic_id not in admins:
            # The person the clinic settings page names as the escalation contact.
            admins[alert.clinic_id] = escalation_recipient(alert.clinic)
        admin = admins[alert.clinic_id]
        with transaction.atomic():
            updated = Alert.objects.filter(
                pk=alert.pk, state=Alert.State.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now, escalated_to=admin)
            if not updated:
                continue  # acknowledged or escalated meanwhile
            alert.escalated_at, alert.escalated_to = now, admin
            _audit_transition(alert, None)
            _announce(alert_escalated, alert)
            email = str(getattr(admin, "email", "") or "")
            if email:
                # In the same transaction: the outbox row commits with the escalation (docs/decisions/0018).
                _mail_escalation(alert, email)
        escalated.append(alert)
    return escalated


def _mail_escalation(alert: Alert, to: str) -> None:

    # No patient data in the e-mail: the link opens the alert after sign-in and MFA.
    send_mail(
        subject="KetaCare: an alert was not acknowledged in time",
        message=(
            f"An {alert.get_severity_display().lower()} alert at {alert.clinic.name} has not been acknowledged "
            f"in time and was escalated to you. Open the alerts inbox: /clinic/alerts/{alert.public_id}/"
        ),
        from_email=None,
        recipient_list=[to],
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
