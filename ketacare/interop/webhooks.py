"""Signed webhooks for new and escalated alerts (docs/decisions/0019).

The alerts app sends ``alert_raised`` / ``alert_escalated`` inside the transaction that creates or
escalates an alert; the receivers here write one ``WebhookDelivery`` per subscribed endpoint of the
alert's clinic in that same transaction (an outbox) and queue its delivery once it commits. A worker
POSTs the payload (ids and severity, nothing else about the patient) signed with the endpoint's
secret:

    KetaCare-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A failed attempt is tried again after 1, 2, 4 … minutes (at most 6 hours apart, 8 attempts), through
a one-off schedule of the task queue and, should that be lost, the sweep ``deliver_pending_webhooks``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import urllib.parse
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.signals import alert_escalated, alert_raised
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.interop.models import WebhookDelivery, WebhookEndpoint
from ketacare.lib.errors import FieldError, NotPermitted

logger = logging.getLogger(__name__)

EVENTS = ("alert.created", "alert.escalated")
SIGNATURE_HEADER = "KetaCare-Signature"
DELIVER_TASK = "ketacare.interop.webhooks.deliver_webhook"
SECRET_MIN_CHARS = 32
TIMEOUT_S = 10
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 60
BACKOFF_CAP_S = 6 * 60 * 60
# A worker holds a delivery this long; if it dies mid-send, the sweep tries again after the lease.
SEND_LEASE_S = 120


def backoff_s(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, capped at 6 hours."""
    return int(min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


def private_hosts_allowed() -> bool:
    """Whether endpoints may be on loopback or private networks (an EHR inside the clinic's network)."""
    return bool(getattr(settings, "KETACARE_WEBHOOK_ALLOW_PRIVATE", False))


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FieldError("url", "url must be an absolute https:// address.")
    if parts.scheme == "http" and not private_hosts_allowed():
        raise FieldError("url", "url must use https:// (plain http only where private hosts are allowed).")
    if parts.username or parts.password:
        raise FieldError("url", "url must not carry a user name or password; the signature authenticates.")
    if len(url) > 500:
        raise FieldError("url", "url is at most 500 characters.")
    return url


@transaction.atomic
def register_webhook(*, clinic: Clinic, url: str, secret: str, events: str, by: User) -> WebhookEndpoint:
    """A clinic admin registers an endpoint for the clinic's alert events (audited)."""
    if not by.memberships.filter(clinic=clinic, is_active=True, role="clinic_admin").exists():
        raise NotPermitted("clinic", "Only a clinic admin registers webhooks.")
    checked_url = _check_url(url)
    if not SECRET_MIN_CHARS <= len(secret) <= 200 or "\x00" in secret:
        raise FieldError("secret", f"secret is {SECRET_MIN_CHARS} to 200 characters (a long random string).")
    wanted = events.split() or list(EVENTS)
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown:
        raise FieldError("events", f"{unknown[0][:40]!r} is not an event; events: {', '.join(EVENTS)}.")
    endpoint = WebhookEndpoint.objects.create(
        clinic=clinic, url=checked_url, secret=secret, events=list(dict.fromkeys(wanted)), created_by=by
    )
    record_access_event(
        user=by, action="write", outcome="granted", clinic=clinic, object_type="webhook",
        object_id=str(endpoint.public_id),
    )  # fmt: skip
    return endpoint


def disable_webhook(*, endpoint: WebhookEndpoint, by: User, now: dt.datetime) -> WebhookEndpoint:
    """Stop deliveries to the endpoint (pending ones too); its log stays."""
    if not by.memberships.filter(clinic=endpoint.clinic, is_active=True, role="clinic_admin").exists():
        raise NotPermitted("clinic", "Only a clinic admin disables webhooks.")
    with transaction.atomic():
        if endpoint.disabled_at is None:
            endpoint.disabled_at = now
            endpoint.save(update_fields=["disabled_at"])
        endpoint.deliveries.filter(
            state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING]
        ).update(state=WebhookDelivery.State.FAILED, last_error="endpoint disabled")
        record_access_event(
            user=by, action="write", outcome="granted", clinic=endpoint.clinic, object_type="webhook",
            object_id=str(endpoint.public_id),
        )  # fmt: skip
    return endpoint


def payload_for(alert: Alert, event: str, delivery_id: str, now: dt.datetime) -> dict[str, Any]:
    """What a receiver learns: the event, when, and ids with the severity; no name, title or detail."""
    return {
        "id": delivery_id,
        "type": event,
        "created_at": now.isoformat(),
        "data": {
            "alert_id": str(alert.public_id),
            # A clinic-level alert (a register count difference) is about no patient.
            "patient_id": str(alert.patient.public_id) if alert.patient is not None else None,
            "clinic_id": str(alert.clinic.public_id),
            "severity": alert.severity,
        },
    }


def _record_event(alert: Alert, event: str) -> None:
    """Write one delivery per subscribed endpoint, in the alert's transaction; queue each on commit."""
    endpoints = WebhookEndpoint.objects.filter(clinic_id=alert.clinic_id, disabled_at__isnull=True)
    now = timezone.now()
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        if WebhookDelivery.objects.filter(
            endpoint=endpoint, event=event, alert_public_id=alert.public_id
        ).exists():
            continue
        delivery = WebhookDelivery(
            endpoint=endpoint, event=event, alert_public_id=alert.public_id, next_attempt_at=now
        )
        delivery.payload = payload_for(alert, event, str(delivery.public_id), now)
        with transaction.atomic():  # a savepoint: a failure here leaves the alert's transaction usable
            delivery.save()
        transaction.on_commit(partial(_enqueue, delivery.pk))


def on_alert_raised(sender: Any, alert: Alert, **kwargs: Any) -> None:
    _record_event(alert, "alert.created")


def on_alert_escalated(sender: Any, alert: Alert, **kwargs: Any) -> None:
    _record_event(alert, "alert.escalated")


def _enqueue(delivery_pk: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task(DELIVER_TASK, delivery_pk, task_name=f"webhook-{delivery_pk}", group="webhooks")
    except Exception as exc:  # the queue is down: the row is safe, the sweep delivers it later
        logger.warning("webhook %s not queued (%s); the sweep will send it", delivery_pk, type(exc).__name__)


def _schedule_retry(delivery: WebhookDelivery, when: dt.datetime) -> None:
    """A one-off schedule at the retry time (the sweep catches it if this is lost)."""
    from django_q.models import Schedule
    from django_q.tasks import schedule

    try:
        schedule(
            DELIVER_TASK,
            delivery.pk,
            name=f"webhook-{delivery.pk}-{delivery.attempts}",
            schedule_type=Schedule.ONCE,
            next_run=when,
        )
    except Exception as exc:
        logger.warning("webhook %s retry not scheduled (%s)", delivery.public_id, type(exc).__name__)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for this body at this time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _resolve(host: str, port: int) -> tuple[str, int] | str:
    """The one address the delivery connects to, or why there is none.

    The host is resolved once per attempt and the connection goes to that address: a name that
    answered with a public address for the check cannot answer with an internal one for the
    connection (DNS rebinding). TLS still verifies the certificate against the host name.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return "the host could not be resolved"
    addresses = [(str(info[4][0]), int(info[4][1])) for info in infos]
    if not addresses:
        return "the host could not be resolved"
    if not private_hosts_allowed() and not all(ipaddress.ip_address(a).is_global for a, _ in addresses):
        return "the host does not resolve to a public address"
    return addresses[0]


def _post(url: str, address: tuple[str, int], body: bytes, headers: dict[str, str]) -> int:
    """POST to ``url`` over a connection to ``address``; redirects are not followed (http.client never
    follows them: a redirect could point the signed request anywhere)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=TIMEOUT_S)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=TIMEOUT_S)

    def pinned(_: Any, timeout: float | None = None, source_address: Any = None) -> socket.socket:
        return socket.create_connection(address, timeout, source_address)

    connection._create_connection = pinned  # type: ignore[attr-defined]  # the socket, not the name
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        return int(connection.getresponse().status)
    finally:
        connection.close()


def _claim(delivery_pk: int, now: dt.datetime) -> WebhookDelivery | None:
    due = WebhookDelivery.objects.filter(
        pk=delivery_pk,
        next_attempt_at__lte=now,
        state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING],
        endpoint__disabled_at__isnull=True,
    )
    if not due.update(
        state=WebhookDelivery.State.SENDING, next_attempt_at=now + dt.timedelta(seconds=SEND_LEASE_S)
    ):
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_pk)


def deliver_webhook(delivery_pk: int) -> str:
    """One attempt at one delivery; idempotent (a delivered, failed or held delivery is left alone)."""
    now = timezone.now()
    delivery = _claim(delivery_pk, now)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "KetaCare-Webhooks/1",
        "KetaCare-Event": delivery.event,
        "KetaCare-Delivery": str(delivery.public_id),
        SIGNATURE_HEADER: sign(endpoint.secret, int(now.timestamp()), body),
    }
    status: int | None = None
    error = ""
    parts = urllib.parse.urlsplit(endpoint.url)
    resolved = _resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    if isinstance(resolved, str):
        error = resolved
    else:
        try:
            status = _post(endpoint.url, resolved, body, headers)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timeout, TLS, bad answer
            error = f"{type(exc).__name__}: {exc}"[:300]
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=WebhookDelivery.State.DELIVERED,
            attempts=attempts,
            last_status_code=status,
            last_error="",
            delivered_at=timezone.now(),
        )
        return "delivered"
    final = attempts >= MAX_ATTEMPTS
    retry_at = now + dt.timedelta(seconds=backoff_s(attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.FAILED if final else WebhookDelivery.State.PENDING,
        attempts=attempts,
        last_status_code=status,
        last_error=error or f"HTTP {status}",
        next_attempt_at=retry_at,
    )
    # No URL, payload or secret in the log (docs/security.md S7).
    logger.warning(
        "webhook %s attempt %d failed: %s%s",
        delivery.public_id,
        attempts,
        error or status,
        " (giving up)" if final else "",
    )
    if not final:
        delivery.attempts = attempts
        _schedule_retry(delivery, retry_at)
    return "failed" if final else "retry"


def deliver_pending_webhooks(*, limit: int = 200) -> dict[str, int]:
    """The sweep: every due delivery (retries after back-off, ones a dead worker held, ones never queued)."""
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for pk in list(due):
        outcome = deliver_webhook(pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def connect() -> None:
    """Connect the receivers (InteropConfig.ready)."""
    alert_raised.connect(on_alert_raised, dispatch_uid="interop-webhooks-raised")
    alert_escalated.connect(on_alert_escalated, dispatch_uid="interop-webhooks-escalated")
