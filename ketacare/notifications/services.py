"""Writes for notifications: ``deliver`` (the one entry point), its queue task, channel choices, push
subscriptions, inbound STOP/START, and retrying failed deliveries.

``deliver`` writes each message as a queued delivery and hands it to the task queue on commit; the
worker's ``send_delivery`` sends it, and the ``retry_deliveries`` job retries failures
(docs/decisions/0020, the queue: docs/decisions/0018).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketacare.lib.errors import FieldError
from ketacare.lib.links import absolute_url
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
    # The answers to a texted STOP or START (only receive_sms writes them; they carry no link).
    "sms_stopped": "KetaCare: you will get no more text messages. Reply START to get them again.",
    "sms_started": "KetaCare: text messages are on again. Reply STOP to stop them.",
}
SMS_CONFIRMATIONS = frozenset({"sms_stopped", "sms_started"})
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop", "yes"})
MAX_ATTEMPTS = 3
RETRY_WITHIN = timedelta(hours=12)  # a prompt older than this is stale: not retried
SEND_LEASE = timedelta(minutes=5)  # a worker holds a delivery this long; if it dies the retry job sends it
SEND_TASK = "ketacare.notifications.services.send_delivery"
# A delivery in one of these states under a dedupe key is the queue's to send or retry: not written again.
TAKEN = (Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.SENT, Delivery.Status.FAILED)
logger = logging.getLogger(__name__)
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")


class NotificationError(FieldError):
    """Invalid notification input; ``field`` names it."""


def preference(patient: Patient) -> NotificationPreference:
    """The patient's choices (defaults when they never chose: e-mail, quiet 21:00 to 08:00)."""
    found = NotificationPreference.objects.filter(patient=patient).first()
    return found or NotificationPreference(patient=patient, clinic_id=patient.clinic_id)


def preferences(patients: Iterable[Patient]) -> dict[int, NotificationPreference]:
    """Many patients' choices in one query, by patient pk (defaults for those who never chose)."""
    by_pk = {patient.pk: patient for patient in patients}
    found = {p.patient_id: p for p in NotificationPreference.objects.filter(patient_id__in=by_pk)}
    return {
        pk: found.get(pk) or NotificationPreference(patient=patient, clinic_id=patient.clinic_id)
        for pk, patient in by_pk.items()
    }


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


def _enqueue(delivery_ids: list[int]) -> None:
    # Imported here: django_q reads its settings at import, which must wait for Django's setup.
    from django_q.tasks import async_task

    for delivery_id in delivery_ids:
        try:
            async_task(SEND_TASK, delivery_id, task_name=f"notify-{delivery_id}", group="notifications")
        except Exception as error:  # the queue is down: the row is safe, the retry job sends it later
            logger.warning(
                "delivery %s not queued (%s); the retry job sends it", delivery_id, type(error).__name__
            )


def deliver(
    *,
    patient: Patient,
    kind: str,
    url: str,
    now: dt.datetime,
    dedupe_key: str = "",
    safety: bool = False,
    channels: Iterable[str] | None = None,
    pref: NotificationPreference | None = None,
) -> list[Delivery]:
    """Write one notification of ``kind`` for each channel the patient chose and queue its sending.

    ``kind`` picks a fixed text from :data:`TEXTS` (callers cannot pass health details); ``url`` may be
    a path, which gets the public address in front (a mail client or a text has no page to be relative
    to). A message
    already queued, sent or being retried under ``dedupe_key`` on a channel is not written there again.
    Outside ``safety``, quiet hours (at ``now`` on the patient's clock) hold it back (logged as held, so
    a later run may send it); a texted STOP holds every SMS. Each delivery to send is written
    ``queued`` in the caller's transaction and handed to the task queue when it commits
    (:func:`send_delivery` runs in the worker), so a web request never waits for a push service, an SMS
    provider or a mail server, and a rolled-back change sends nothing. Returns the deliveries written.
    ``pref`` is the patient's :func:`preference` when the caller has read it already (a job over many
    patients reads them in one query).
    """
    if kind not in TEXTS:
        raise NotificationError("kind", f"kind {kind[:40]!r} is not one of {', '.join(TEXTS)}")
    pref = pref if pref is not None else preference(patient)
    quiet = not safety and in_quiet_hours(pref, patient.time_zone, now)
    logged: list[Delivery] = []
    for channel in channels if channels is not None else chosen_channels(pref):
        if (
            dedupe_key
            and Delivery.objects.filter(
                patient=patient, dedupe_key=dedupe_key, channel=channel, status__in=TAKEN
            ).exists()
        ):
            continue
        reason = ""
        if channel == Channel.SMS and pref.sms_stopped_at is not None:
            reason = "the patient texted STOP"
        elif quiet:
            reason = "quiet hours"
        elif not CHANNELS[channel].addresses(patient, pref):
            reason = "no address for this channel"
        logged.append(
            Delivery.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                channel=channel,
                kind=kind,
                text=TEXTS[kind],
                url=absolute_url(url)[:300],
                dedupe_key=dedupe_key,
                status=Delivery.Status.HELD if reason else Delivery.Status.QUEUED,
                reason=reason,
                safety=safety,
            )
        )
    queued = [d.pk for d in logged if d.status == Delivery.Status.QUEUED]
    if queued:
        transaction.on_commit(partial(_enqueue, queued))
    return logged


def _attempt(delivery: Delivery, now: dt.datetime) -> str:
    """Hand a claimed delivery to its channel once and record the outcome ("sent", "failed", "held")."""
    patient = delivery.patient
    pref = preference(patient)
    backend = CHANNELS[delivery.channel]
    confirmation = delivery.kind in SMS_CONFIRMATIONS
    if delivery.channel == Channel.SMS and pref.sms_stopped_at is not None and not confirmation:
        # A STOP that arrived while the text waited in the queue still stops it.
        delivery.status, delivery.reason = Delivery.Status.HELD, "the patient texted STOP"
        delivery.save(update_fields=["status", "reason"])
        return "held"
    addresses = backend.addresses(patient, pref)
    errors = []
    for address in addresses:
        try:
            backend.send(address, Outgoing(delivery.text, delivery.url, footer=not confirmation))
        except DeliveryError as error:
            errors.append(str(error))
    delivery.attempts += 1
    delivery.last_attempt_at = now
    if addresses and len(errors) < len(addresses):
        delivery.status, delivery.sent_at, delivery.reason = Delivery.Status.SENT, now, ""
    else:
        delivery.status = Delivery.Status.FAILED
        delivery.reason = ("; ".join(errors) or "no address for this channel")[:200]
    delivery.save(update_fields=["attempts", "last_attempt_at", "status", "sent_at", "reason"])
    return str(delivery.status)


def send_delivery(delivery_id: int) -> str:
    """The queue's task: send one queued delivery and log the outcome; returns "sent", "failed",
    "held" or "skipped" (already sent, or another worker holds it). Safe to run twice."""
    now = timezone.now()
    waiting = Q(status=Delivery.Status.QUEUED) | Q(
        status=Delivery.Status.SENDING, last_attempt_at__lt=now - SEND_LEASE
    )
    if not Delivery.objects.filter(waiting, pk=delivery_id).update(
        status=Delivery.Status.SENDING, last_attempt_at=now
    ):
        return "skipped"
    delivery = Delivery.objects.select_related("patient", "patient__user").get(pk=delivery_id)
    return _attempt(delivery, now)


def retry_failed_deliveries(*, now: dt.datetime) -> list[Delivery]:
    """The retry job: try failed deliveries again (at most MAX_ATTEMPTS, within RETRY_WITHIN of the
    first) and send those the queue lost (queued but never picked up, or held by a worker that died);
    a delivery still unsent after RETRY_WITHIN is marked failed, never sent that late."""
    Delivery.objects.filter(
        status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING], created_at__lt=now - RETRY_WITHIN
    ).update(status=Delivery.Status.FAILED, reason="not sent in time: dropped")
    due = Delivery.objects.filter(created_at__gte=now - RETRY_WITHIN).filter(
        Q(status=Delivery.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
        | Q(status=Delivery.Status.QUEUED, created_at__lt=now - SEND_LEASE)
        | Q(status=Delivery.Status.SENDING, last_attempt_at__lt=now - SEND_LEASE)
    )
    retried: list[Delivery] = []
    for pk, status in list(due.order_by("created_at", "id").values_list("pk", "status")):
        claimed = Delivery.objects.filter(pk=pk, status=status).update(
            status=Delivery.Status.SENDING, last_attempt_at=now
        )
        if not claimed:
            continue  # another worker took it meanwhile
        delivery = Delivery.objects.select_related("patient", "patient__user").get(pk=pk)
        _attempt(delivery, now)
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

    Queues one confirmation text, unless the SMS provider sends its own (Twilio answers STOP and START
    itself and would refuse ours after a STOP). Returns how many patients' preferences changed.
    """
    word = body.strip().split(maxsplit=1)[0].lower() if body.strip() else ""
    digits = _digits(from_number)
    if not digits or word not in STOP_WORDS | START_WORDS:
        return 0
    changed: list[NotificationPreference] = []
    with transaction.atomic():
        for pref in (
            NotificationPreference.objects.select_for_update().filter(phone_digits=digits).order_by("id")
        ):
            pref.sms_stopped_at = now if word in STOP_WORDS else None
            pref.save(update_fields=["sms_stopped_at", "updated_at"])
            changed.append(pref)
        if changed and not sms_backend().confirms_opt_out:
            patient = changed[0].patient
            kind = "sms_stopped" if word in STOP_WORDS else "sms_started"
            confirmation = Delivery.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                channel=Channel.SMS,
                kind=kind,
                text=TEXTS[kind],
                status=Delivery.Status.QUEUED,
                safety=True,  # the answer to the patient's own text goes at once, even in quiet hours
            )
            transaction.on_commit(partial(_enqueue, [confirmation.pk]))
    return len(changed)
