"""Writes for notifications: ``deliver`` (the one function a task queue calls), channel choices, push
subscriptions, inbound STOP/START, and retrying failed deliveries.

Sending is synchronous for now: ``deliver`` hands each message to its channel in the calling process
and logs the outcome. A task queue calls the same function from a worker (docs/decisions/0020).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction

from ketacare.lib.errors import FieldError
from ketacare.notifications.channels import CHANNELS, DeliveryError, Outgoing, sms_backend
from ketacare.notifications.models import Channel, Delivery, NotificationPreference, PushSubscription
from ketacare.patients.models import Patient

# Every text a notification may carry, by kind: none names a symptom, a score, a medicine or the patient,
# so a locked phone's screen or a shared inbox shows nothing about their health.
TEXTS: dict[str, str] = {
    "checkin_prompt": "KetaCare: you have a check-in waiting.",
    "questionnaire_due": "KetaCare: a questionnaire is waiting for you.",
    "session_tomorrow": "KetaCare: you have an appointment tomorrow. Open the app to get ready.",
    "message_answered": "KetaCare: your care team answered your message.",
    "test": "KetaCare: notifications are on.",
}
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop", "yes"})
STOPPED_TEXT = "KetaCare: you will get no more text messages. Reply START to get them again."
STARTED_TEXT = "KetaCare: text messages are on again. Reply STOP to stop them."
MAX_ATTEMPTS = 3
RETRY_WITHIN = timedelta(hours=12)  # a prompt older than this is stale: not retried
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")


class NotificationError(FieldError):
    """Invalid notification input; ``field`` names it."""


def preference(patient: Patient) -> NotificationPreference:
    """The patient's choices (defaults when they never chose: e-mail, quiet 21:00 to 08:00)."""
    found = NotificationPreference.objects.filter(patient=patient).first()
    return found or NotificationPreference(patient=patient, clinic_id=patient.clinic_id)


def in_quiet_hours(pref: NotificationPreference, zone_name: str, now: dt.datetime) -> bool:
    """Whether ``now`` falls in the patient's quiet hours on their own clock (a span may cross midnight)."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone_name)).time()
    start, end = pref.quiet_start, pref.quiet_end
    if start == end:
        return False
    return start <= local < end if start < end else (local >= start or local < end)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def chosen_channels(pref: NotificationPreference) -> list[str]:
    return [c for c in (Channel.PUSH, Channel.SMS, Channel.EMAIL) if getattr(pref, c)]


def deliver(
    *,
    patient: Patient,
    kind: str,
    url: str,
    now: dt.datetime,
    dedupe_key: str = "",
    safety: bool = False,
    channels: Iterable[str] | None = None,
) -> list[Delivery]:
    """Send one notification of ``kind`` to each channel the patient chose; log each outcome.

    ``kind`` picks a fixed text from :data:`TEXTS` (callers cannot pass health details). A message
    already sent under ``dedupe_key`` on a channel is not sent there again. Outside ``safety``, quiet
    hours hold it back (logged as held, so a later run may send it); a texted STOP holds every SMS.
    Returns the deliveries logged now.
    """
    if kind not in TEXTS:
        raise NotificationError("kind", f"kind {kind[:40]!r} is not one of {', '.join(TEXTS)}")
    pref = preference(patient)
    message = Outgoing(TEXTS[kind], url)
    quiet = not safety and in_quiet_hours(pref, patient.time_zone, now)
    logged: list[Delivery] = []
    for channel in channels if channels is not None else chosen_channels(pref):
        if (
            dedupe_key
            and Delivery.objects.filter(
                patient=patient, dedupe_key=dedupe_key, channel=channel, status=Delivery.Status.SENT
            ).exists()
        ):
            continue
        backend = CHANNELS[channel]
        reason = ""
        if channel == Channel.SMS and pref.sms_stopped_at is not None:
            reason = "the patient texted STOP"
        elif quiet:
            reason = "quiet hours"
        addresses = [] if reason else backend.addresses(patient, pref)
        if not reason and not addresses:
            reason = "no address for this channel"
        status, sent_at = Delivery.Status.HELD, None
        if not reason:
            failures = []
            for address in addresses:
                try:
                    backend.send(address, message)
                except DeliveryError as error:
                    failures.append(str(error))
            if len(failures) < len(addresses):
                status, sent_at = Delivery.Status.SENT, now
            else:
                status, reason = Delivery.Status.FAILED, "; ".join(failures)[:200]
        logged.append(
            Delivery.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                channel=channel,
                kind=kind,
                text=message.text,
                url=url[:300],
                dedupe_key=dedupe_key,
                status=status,
                reason=reason,
                safety=safety,
                sent_at=sent_at,
            )
        )
    return logged


def retry_failed_deliveries(*, now: dt.datetime) -> list[Delivery]:
    """Try failed deliveries again (at most MAX_ATTEMPTS, within RETRY_WITHIN of the first try)."""
    retried: list[Delivery] = []
    for delivery in Delivery.objects.filter(
        status=Delivery.Status.FAILED, attempts__lt=MAX_ATTEMPTS, created_at__gte=now - RETRY_WITHIN
    ).select_related("patient", "patient__user"):
        pref = preference(delivery.patient)
        backend = CHANNELS[delivery.channel]
        errors = []
        addresses = backend.addresses(delivery.patient, pref)
        for address in addresses:
            try:
                backend.send(address, Outgoing(delivery.text, delivery.url))
            except DeliveryError as error:
                errors.append(str(error))
        delivery.attempts += 1
        if addresses and len(errors) < len(addresses):
            delivery.status, delivery.sent_at, delivery.reason = Delivery.Status.SENT, now, ""
        else:
            delivery.reason = ("; ".join(errors) or "no address for this channel")[:200]
        delivery.save(update_fields=["attempts", "status", "sent_at", "reason"])
        retried.append(delivery)
    return retried


def set_preferences(
    *,
    patient: Patient,
    push: bool,
    sms: bool,
    email: bool,
    phone: str,
    quiet_start: dt.time,
    quiet_end: dt.time,
) -> NotificationPreference:
    """Store the patient's channels and quiet hours; choosing text messages again undoes a STOP."""
    phone = phone.strip()
    if phone and not PHONE.match(phone):
        raise NotificationError("phone", "phone: digits, spaces, brackets and dashes, 6 to 25 characters")
    if sms and not phone:
        raise NotificationError("phone", "phone: give a mobile number to get text messages")
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.select_for_update().get_or_create(
            patient=patient, defaults={"clinic_id": patient.clinic_id}
        )
        if sms and not pref.sms:
            pref.sms_stopped_at = None
        pref.push, pref.sms, pref.email, pref.phone = push, sms, email, phone
        pref.phone_digits = _digits(phone)
        pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
        pref.save()
    return pref


def subscribe_push(*, patient: Patient, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep a browser's push subscription and turn the push channel on."""
    if not endpoint.startswith("https://") and not endpoint.startswith("http://localhost"):
        raise NotificationError("endpoint", "endpoint: an https address given by the browser")
    if not (0 < len(endpoint) <= 1000 and 0 < len(p256dh) <= 200 and 0 < len(auth) <= 100):
        raise NotificationError("keys", "keys: p256dh (1 to 200 characters) and auth (1 to 100) are required")
    with transaction.atomic():
        subscription, _ = PushSubscription.objects.update_or_create(
            patient=patient,
            endpoint=endpoint,
            defaults={"clinic_id": patient.clinic_id, "p256dh": p256dh, "auth": auth, "revoked_at": None},
        )
        pref, _ = NotificationPreference.objects.get_or_create(
            patient=patient, defaults={"clinic_id": patient.clinic_id}
        )
        if not pref.push:
            pref.push = True
            pref.save(update_fields=["push", "updated_at"])
    return subscription


def receive_sms(*, from_number: str, body: str, now: dt.datetime) -> int:
    """An inbound text: STOP (and its synonyms) stops every text to that number, START resumes them.

    Answers with one confirmation text; returns how many patients' preferences changed.
    """
    word = body.strip().split(maxsplit=1)[0].lower() if body.strip() else ""
    digits = _digits(from_number)
    if not digits or word not in STOP_WORDS | START_WORDS:
        return 0
    changed = 0
    for pref in NotificationPreference.objects.filter(phone_digits=digits):
        pref.sms_stopped_at = now if word in STOP_WORDS else None
        pref.save(update_fields=["sms_stopped_at", "updated_at"])
        changed += 1
    if changed:
        sms_backend().send(from_number, STOPPED_TEXT if word in STOP_WORDS else STARTED_TEXT)
    return changed
