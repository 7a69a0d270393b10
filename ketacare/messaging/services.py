"""Writes for the message thread: a patient's message is screened like a check-in's own words, a red flag
raises its alert in the same transaction, and a message left unanswered past the clinic's response time
raises an alert that then escalates like every other."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.core.display import name_for
from ketacare.core.free_text import FreeTextScreen, screen_free_text
from ketacare.core.knowledge import Level
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import check_idempotency_key, create_once
from ketacare.messaging.models import (
    BODY_MAX_CHARS,
    DEFAULT_RESPONSE_TIME_MIN,
    RESPONSE_TIME_RANGE_MIN,
    Message,
    MessagePolicy,
)
from ketacare.notifications.services import deliver
from ketacare.patients.models import Patient


class MessageError(FieldError):
    """Invalid message input; ``field`` names the offending field."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """The stored message, whether this call created it, and what the patient must be shown."""

    message: Message
    created: bool

    @property
    def level(self) -> Level:
        return Level(self.message.screen.get("level", Level.EXPECTED.value))

    @property
    def emergency(self) -> bool:
        """The words name an emergency (a red flag at urgent or above): show the emergency screen."""
        return self.level >= Level.URGENT


def _check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise MessageError("body", f"the message is empty: write 1 to {BODY_MAX_CHARS} characters")
    if len(body) > BODY_MAX_CHARS:
        raise MessageError(
            "body", f"the message has {len(body)} characters: allowed at most {BODY_MAX_CHARS}"
        )
    if "\x00" in body:
        raise MessageError("body", "the message holds a NUL character; send plain text")
    return text


def screen_to_json(screen: FreeTextScreen) -> dict[str, object]:
    """The core screen as stored beside the message (plain JSON)."""
    return {
        "outcome": screen.outcome,
        "level": screen.level.value,
        "red_flag_ids": list(screen.red_flag_ids),
        "matched": [m.phrase for m in screen.matches if not m.negated],
        "negated": list(screen.negated),
        "patient_message": screen.patient_message,
        "sources": list(screen.sources),
    }


def _thread(patient: Patient) -> dict[str, str]:
    """The alert's link to the patient's thread, where the care team answers (alerts cannot import us)."""
    return {"thread_url": reverse("messaging:staff_thread", kwargs={"patient_id": str(patient.public_id)})}


def send_patient_message(
    *, patient: Patient, body: str, idempotency_key: str, now: dt.datetime
) -> SentMessage:
    """Store the patient's message; a red flag in it raises the clinic alert in the same transaction.

    The words go through the same core screen as a check-in's "Something else? Describe it"
    (``ketacare.core.free_text``, decision 0012 rule 5): an emergency phrase ("I can't breathe") takes its
    red flag's level and message. Every other message waits for the care team in the messages inbox
    (it is no alert: the thread is not for urgent matters, and every screen says so). A retry with the
    same key returns the original message.
    """

    def prepare() -> tuple[str, FreeTextScreen]:
        if patient.user_id is None:
            raise MessageError("patient", "this patient has no login, so cannot write a message")
        text = _check_body(body)
        return text, screen_free_text(text)

    def create(prepared: tuple[str, FreeTextScreen]) -> Message:
        text, screen = prepared
        message = Message.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            author_kind=Message.Author.PATIENT,
            author_id=cast(int, patient.user_id),  # checked in prepare()
            body=text,
            sent_at=now,
            idempotency_key=idempotency_key,
            screen=screen_to_json(screen),
        )
        if screen.outcome == "red_flag" and screen.level >= Level.CONTACT_CLINIC:
            message.alert = raise_alert(
                patient=patient,
                source=Alert.Source.PATIENT_MESSAGE,
                severity=screen.level.value,
                title=f"Red flag in a message: {', '.join(name_for(i) for i in screen.red_flag_ids)}"[:200],
                # The advice is the patient's; labelled, so the clinician does not read it as theirs.
                detail=f"The patient wrote: “{text}”\nThe patient was told: “{screen.patient_message}”",
                dedupe_key=f"message:{message.public_id}",
                # The alert's page names the red flags from the knowledge base and links the thread to answer.
                evidence={"red_flags": list(screen.red_flag_ids), **_thread(patient)},
            )
            message.save(update_fields=["alert"])
        return message

    message, created = create_once(
        Message,
        patient=patient,
        idempotency_key=idempotency_key,
        prepare=prepare,
        create=create,
        same_as=lambda m: m.body == body.strip(),
    )
    return SentMessage(message, created)


def reply_to_patient(
    *, patient: Patient, user: User, body: str, idempotency_key: str, now: dt.datetime
) -> Message:
    """Store a care-team answer; it answers every patient message sent before it."""
    text = _check_body(body)
    check_idempotency_key(idempotency_key)
    with transaction.atomic():
        existing = Message.objects.filter(patient=patient, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        reply = Message.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            author_kind=Message.Author.STAFF,
            author=user,
            body=text,
            sent_at=now,
            idempotency_key=idempotency_key,
        )
        Message.objects.filter(
            patient=patient, author_kind=Message.Author.PATIENT, answered_at__isnull=True, sent_at__lte=now
        ).update(answered_at=now)
        # The patient hears that an answer is waiting (a fixed text, never the answer itself); the
        # delivery is written with the answer and sent by the task queue once both are committed.
        deliver(
            patient=patient,
            kind="message_answered",
            url="/me/messages/",
            now=now,
            dedupe_key=f"message-answered:{reply.public_id}",
        )
    return reply


def message_to_alert(*, message: Message, user: User, severity: str) -> Alert:
    """Staff turn a patient's message into an alert (one per message), so it enters the alert workflow.

    The caller has reached the patient through ``access_patient(action="write")``, which audits it.
    """
    if message.author_kind != Message.Author.PATIENT:
        raise MessageError("message", "only a patient's message can become an alert")
    if severity not in Alert.Severity.values:
        raise MessageError(
            "severity",
            f"severity {severity[:20]!r} is not allowed: allowed {', '.join(Alert.Severity.values)}",
        )
    with transaction.atomic():
        locked = Message.objects.select_for_update().select_related("patient").get(pk=message.pk)
        alert = raise_alert(
            patient=locked.patient,
            source=Alert.Source.PATIENT_MESSAGE,
            severity=severity,
            title="Patient message raised as an alert",
            detail=f"The patient wrote: “{locked.body}”",
            dedupe_key=f"message-alert:{locked.public_id}",
            evidence=_thread(locked.patient),
        )
        if locked.alert_id is None:
            locked.alert = alert
            locked.save(update_fields=["alert"])
    return alert


def mark_recorded_as_checkin(*, message: Message, checkin_public_id: uuid.UUID) -> None:
    """Note on a patient's message the check-in the care team recorded from it (once per message).

    Called by the support app's ``record_message_as_checkin`` inside its transaction, after the caller
    reached the patient through ``access_patient(action="write")``.
    """
    if message.author_kind != Message.Author.PATIENT:
        raise MessageError("message", "only a patient's message can be recorded as a check-in")
    if not Message.objects.filter(pk=message.pk, checkin_public_id__isnull=True).update(
        checkin_public_id=checkin_public_id
    ):
        raise MessageError("message", "this message is already recorded as a check-in")
    message.checkin_public_id = checkin_public_id


def response_time_min(clinic_id: int) -> int:
    """The clinic's response time for messages (MessagePolicy), or the default (clinic practice)."""
    minutes = (
        MessagePolicy.objects.filter(clinic_id=clinic_id).values_list("response_time_min", flat=True).first()
    )
    return minutes if minutes is not None else DEFAULT_RESPONSE_TIME_MIN


def set_message_policy(*, clinic_id: int, response_time_min: int) -> MessagePolicy:
    """Set the clinic's response time (minutes, 30 minutes to 7 days)."""
    low, high = RESPONSE_TIME_RANGE_MIN
    if not isinstance(response_time_min, int) or not low <= response_time_min <= high:
        raise MessageError("response_time_min", f"response time: allowed {low} to {high} minutes")
    policy, _ = MessagePolicy.objects.update_or_create(
        clinic_id=clinic_id, defaults={"response_time_min": response_time_min}
    )
    return policy


def escalate_unanswered_messages(*, now: dt.datetime) -> list[Message]:
    """Raise an alert for each patient message left unanswered past its clinic's response time.

    The alert (``contact_clinic``, key ``message-late:<id>``) enters the inbox and escalates to the
    clinic's escalation contact like any other when it is not acknowledged in time
    (``escalate_alerts``). Each message escalates once; safe to run from any scheduler, as often as
    wanted. Returns the messages escalated now.
    """
    policies = dict(MessagePolicy.objects.values_list("clinic_id", "response_time_min"))
    shortest = min([DEFAULT_RESPONSE_TIME_MIN, *policies.values()])
    candidates = (
        Message.objects.filter(
            author_kind=Message.Author.PATIENT,
            answered_at__isnull=True,
            escalated_at__isnull=True,
            sent_at__lte=now - timedelta(minutes=shortest),
        )
        .filter(Q(alert__isnull=True) | ~Q(alert__state=Alert.State.OPEN))
        .select_related("patient")
        .order_by("sent_at", "id")
    )
    escalated: list[Message] = []
    for message in candidates:
        if message.sent_at > now - timedelta(
            minutes=policies.get(message.clinic_id, DEFAULT_RESPONSE_TIME_MIN)
        ):
            continue
        with transaction.atomic():
            updated = Message.objects.filter(
                pk=message.pk, answered_at__isnull=True, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not updated:
                continue  # answered or escalated meanwhile
            alert = raise_alert(
                patient=message.patient,
                source=Alert.Source.PATIENT_MESSAGE,
                severity=Alert.Severity.CONTACT_CLINIC,
                title="A patient message was not answered in time",
                detail="Open the patient's messages and answer.",
                dedupe_key=f"message-late:{message.public_id}",
                evidence=_thread(message.patient),
            )
            Message.objects.filter(pk=message.pk, alert__isnull=True).update(alert=alert)
        escalated.append(message)
    return escalated
