"""The notification channels behind one interface: each finds the patient's addresses and sends one
fixed, health-free text to one of them, or raises DeliveryError. ``services.deliver`` is the only caller.

Web Push signs with VAPID and encrypts the payload (aes128gcm, RFC 8291/8292) through pywebpush; text
messages go to an SMS backend (``console`` keeps them in memory, nothing is sent; a provider adapter
implements the same ``send``); e-mail goes through Django's configured mail backend.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

from ketacare.notifications.models import Channel, NotificationPreference, PushSubscription
from ketacare.patients.models import Patient


class DeliveryError(Exception):
    """The channel could not hand the message over; the message is safe to log (no address, no text)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one notification says: a fixed text without health details and the link it opens."""

    text: str
    url: str
    title: str = "KetaCare"
    footer: bool = True  # a text message ends with how to stop texts (not the answer to STOP itself)


class ChannelBackend(Protocol):
    channel: str

    def addresses(self, patient: Patient, preference: NotificationPreference) -> list[Any]: ...

    def send(self, address: Any, message: Outgoing) -> None: ...


# --- e-mail ------------------------------------------------------------------------------------


class EmailChannel:
    channel: str = Channel.EMAIL

    def addresses(self, patient: Patient, preference: NotificationPreference) -> list[Any]:
        email = getattr(patient.user, "email", "") if patient.user_id else ""
        return [email] if email else []

    def send(self, address: Any, message: Outgoing) -> None:
        try:
            send_mail(message.title, f"{message.text}\n\n{message.url}", None, [address], fail_silently=False)
        except Exception as error:  # any transport failure is one failed delivery, never a 500
            raise DeliveryError(f"e-mail not handed over ({type(error).__name__})") from None


# --- text messages -------------------------------------------------------------------------------

SMS_FOOTER = "Reply STOP to stop texts."


@dataclass(frozen=True, slots=True)
class Sms:
    to: str
    body: str


class ConsoleSmsBackend:
    """Development and test backend: keeps each text in ``outbox`` and prints it; nothing leaves."""

    confirms_opt_out = False  # KetaCare answers STOP and START itself
    outbox: list[Sms] = []
    _lock = threading.Lock()

    def send(self, to: str, body: str) -> None:
        with self._lock:
            ConsoleSmsBackend.outbox.append(Sms(to, body))
        sys.stdout.write(f"SMS to {to}: {body}\n")


def sms_backend() -> ConsoleSmsBackend:
    """The configured SMS backend (KETACARE_SMS_BACKEND; only ``console`` is built in)."""
    return ConsoleSmsBackend()


class SmsChannel:
    channel: str = Channel.SMS

    def addresses(self, patient: Patient, preference: NotificationPreference) -> list[Any]:
        return [preference.phone] if preference.phone else []

    def send(self, address: Any, message: Outgoing) -> None:
        try:
            body = " ".join(p for p in (message.text, message.url, SMS_FOOTER if message.footer else "") if p)
            sms_backend().send(str(address), body)
        except Exception as error:
            raise DeliveryError(f"text message not handed over ({type(error).__name__})") from None


# --- web push ------------------------------------------------------------------------------------

_vapid_lock = threading.Lock()


def vapid_key_path() -> Path:
    return Path(settings.DATA_DIR) / "vapid_private.pem"


def vapid() -> Vapid:
    """The VAPID key: KETACARE_VAPID_PRIVATE_KEY (PEM), else the data dir's key, generated once."""
    pem = settings.KETACARE_VAPID_PRIVATE_KEY
    if pem:
        return Vapid.from_pem(pem.encode())
    path = vapid_key_path()
    with _vapid_lock:
        if not path.exists():
            key = Vapid()
            key.generate_keys()
            path.parent.mkdir(parents=True, exist_ok=True)
            key.save_key(str(path))
            path.chmod(0o600)
    return Vapid.from_file(str(path))


def vapid_public_key() -> str:
    """The application server key for ``pushManager.subscribe`` (base64url, uncompressed P-256 point)."""
    raw = vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return str(b64urlencode(raw))


class PushChannel:
    channel: str = Channel.PUSH

    def addresses(self, patient: Patient, preference: NotificationPreference) -> list[Any]:
        return list(PushSubscription.objects.filter(patient=patient, revoked_at__isnull=True))

    def send(self, address: Any, message: Outgoing) -> None:
        # pywebpush loads its HTTP stack (requests, aiohttp): only when a push is actually sent.
        from pywebpush import WebPushException, webpush

        subscription: PushSubscription = address
        payload = json.dumps({"title": message.title, "body": message.text, "url": message.url})
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=vapid(),
                vapid_claims={"sub": settings.KETACARE_VAPID_SUBJECT},
                ttl=12 * 60 * 60,
                timeout=10,
            )
        except WebPushException as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            if status in (404, 410):
                # The browser dropped the subscription: stop using it.
                PushSubscription.objects.filter(pk=subscription.pk).update(revoked_at=timezone.now())
            raise DeliveryError(f"push service refused ({status or 'no answer'})") from None
        except Exception as error:
            raise DeliveryError(f"push not handed over ({type(error).__name__})") from None


CHANNELS: dict[str, ChannelBackend] = {
    Channel.PUSH: PushChannel(),
    Channel.SMS: SmsChannel(),
    Channel.EMAIL: EmailChannel(),
}
