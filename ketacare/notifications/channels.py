"""The notification channels behind one interface: each finds the patient's addresses and sends one
fixed, health-free text to one of them, or raises DeliveryError. ``services.deliver`` is the only caller.

Web Push signs with VAPID and encrypts the payload (aes128gcm, RFC 8291/8292) through pywebpush; text
messages go to an SMS backend (``console`` keeps them in memory, nothing is sent; ``twilio`` posts them
to Twilio's REST API); e-mail goes through Django's configured mail backend (itself the queued outbox).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

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
            # The subject is the fixed text itself ("KetaCare: you have a check-in waiting"): an inbox
            # of messages all called "KetaCare" says nothing until each is opened.
            subject = message.text.rstrip(".")
            send_mail(subject, f"{message.text}\n\n{message.url}", None, [address], fail_silently=False)
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


class SmsBackend(Protocol):
    # True when the provider answers STOP and START itself (KetaCare then sends no confirmation).
    confirms_opt_out: bool

    def send(self, to: str, body: str) -> None: ...


class SmsOptedOut(DeliveryError):
    """The provider refuses to text this number because it texted STOP to the provider."""


class TwilioSmsBackend:
    """Twilio's Messages REST API: one POST per text to /2010-04-01/Accounts/<sid>/Messages.json with
    HTTP basic authentication (account SID, auth token); 201 means Twilio accepted it for sending."""

    # Twilio answers STOP, START and HELP itself (and refuses texts to a stopped number, error 21610).
    confirms_opt_out = True
    OPTED_OUT_CODE = 21610
    TIMEOUT_S = 10

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, api_url: str) -> None:
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"

    def send(self, to: str, body: str) -> None:
        # requests comes with pywebpush already; imported here, like pywebpush, only when a text goes.
        import requests

        digits = re.sub(r"\D", "", to)
        data = {"To": f"+{digits}" if to.strip().startswith("+") else digits, "Body": body}
        data["MessagingServiceSid" if self.sender.startswith("MG") else "From"] = self.sender
        try:
            response = requests.post(
                self.url, data=data, auth=(self.account_sid, self.auth_token), timeout=self.TIMEOUT_S
            )
        except requests.RequestException as error:
            raise DeliveryError(f"SMS provider not reached ({type(error).__name__})") from None
        if response.status_code in (200, 201):
            return
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code == self.OPTED_OUT_CODE:
            raise SmsOptedOut(f"the number texted STOP to the SMS provider (Twilio {code})")
        raise DeliveryError(
            f"SMS provider refused (HTTP {response.status_code}{f', Twilio {code}' if code else ''})"
        )


def sms_backend() -> SmsBackend:
    """The configured SMS backend (KETACARE_SMS_BACKEND: ``console`` by default, or ``twilio``)."""
    if settings.KETACARE_SMS_BACKEND == "twilio":
        return TwilioSmsBackend(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            sender=settings.TWILIO_FROM,
            api_url=settings.TWILIO_API_URL,
        )
    return ConsoleSmsBackend()


def twilio_signature(url: str, params: Mapping[str, Sequence[str]], auth_token: str) -> str:
    """Twilio's X-Twilio-Signature: base64 of HMAC-SHA1, keyed with the auth token, over the full URL
    Twilio called followed by each POST parameter's name and value, sorted by name (then value)."""
    signed = url + "".join(name + value for name in sorted(params) for value in sorted(params[name]))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def valid_twilio_signature(
    url: str, params: Mapping[str, Sequence[str]], signature: str, auth_token: str
) -> bool:
    """Whether ``signature`` is Twilio's for this request (constant-time). Twilio may sign an https URL
    with or without its port (443), so both forms are accepted, as Twilio's own libraries do."""
    if not signature or not auth_token:
        return False
    parts = urlsplit(url)
    candidates = {url}
    if parts.scheme == "https":
        host = parts.hostname or ""
        candidates |= {
            urlunsplit(parts._replace(netloc=host)),
            urlunsplit(parts._replace(netloc=f"{host}:{parts.port or 443}")),
        }
    return any(
        hmac.compare_digest(twilio_signature(candidate, params, auth_token), signature)
        for candidate in candidates
    )


class SmsChannel:
    channel: str = Channel.SMS

    def addresses(self, patient: Patient, preference: NotificationPreference) -> list[Any]:
        return [preference.phone] if preference.phone else []

    def send(self, address: Any, message: Outgoing) -> None:
        body = " ".join(p for p in (message.text, message.url, SMS_FOOTER if message.footer else "") if p)
        try:
            sms_backend().send(str(address), body)
        except SmsOptedOut:
            # The provider holds a STOP we never saw (texted while its webhook was not set up): honour it.
            NotificationPreference.objects.filter(
                phone_digits=re.sub(r"\D", "", str(address)), sms_stopped_at__isnull=True
            ).update(sms_stopped_at=timezone.now())
            raise
        except DeliveryError:
            raise
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
