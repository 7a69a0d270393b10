"""Outgoing mail through the task queue: a Django e-mail backend that writes the outbox, and the jobs
that deliver it with retries and exponential back-off (docs/decisions/0018).

``EMAIL_BACKEND`` is :class:`QueuedEmailBackend` in every deployment, so every ``send_mail`` in the
product (invitations, password resets, reminders, escalations) only writes a row; the real transport
(``MAIL_DELIVERY_BACKEND``: SMTP, a provider, the console) runs in the worker. A web request never
talks to a mail server.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from ketacare.ops.models import OutboundEmail
from ketacare.ops.transport import stand_in

logger = logging.getLogger(__name__)

# Attempt n (1-based) that fails waits BACKOFF_BASE_S * 2**(n-1), capped: 1, 2, 4, 8 ... minutes.
BACKOFF_BASE_S = 60
BACKOFF_CAP_S = 6 * 60 * 60
DELIVER_TASK = "ketacare.ops.mail.deliver_email"
# The attribute of an EmailMessage that names what it announces (OutboundEmail.about_key); a Python
# attribute rather than a header, so that it never travels with the message.
ABOUT_ATTRIBUTE = "ketacare_about_key"


def send_lease_s() -> int:
    """A worker holds a message this long; if it dies mid-send the sweep retries after the lease."""
    return int(getattr(settings, "MAIL_SEND_LEASE_S", 300))


def max_attempts() -> int:
    return int(getattr(settings, "MAIL_MAX_ATTEMPTS", 8))


def backoff_s(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure (exponential, capped at 6 hours)."""
    return int(min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


def _enqueue(outbox_id: int) -> None:
    # Imported here: django_q reads its settings at import, which must wait for Django's setup.
    from django_q.tasks import async_task

    try:
        async_task(DELIVER_TASK, outbox_id, task_name=f"mail-{outbox_id}", group="mail")
    except Exception as exc:  # the queue is down: the row is safe, the sweep delivers it later
        logger.warning("mail %s not queued (%s); the sweep will send it", outbox_id, type(exc).__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """Store each message in the outbox (in the caller's transaction) and queue its delivery on commit."""

    # Read by ketacare.accounts.mail: a message sent through this backend belongs to the caller's
    # transaction, so it can be written with the change it announces rather than after its commit.
    writes_in_caller_transaction = True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        now = timezone.now()
        count = 0
        for message in email_messages:
            recipients = list(message.recipients())
            if not recipients:
                continue
            alternatives = [[str(c), str(m)] for c, m in getattr(message, "alternatives", [])]
            row = OutboundEmail.objects.create(
                subject=str(message.subject),
                body=str(message.body),
                from_email=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
                to=recipients,
                recipient=recipients[0].strip().lower()[:320],
                alternatives=alternatives,
                next_attempt_at=now,
                about_key=str(getattr(message, ABOUT_ATTRIBUTE, "") or "")[:80],
            )
            transaction.on_commit(partial(_enqueue, row.pk))
            count += 1
        return count


def _claim(outbox_id: int, now: dt.datetime) -> OutboundEmail | None:
    """Take one due message for this worker (a conditional UPDATE: two workers never both win)."""
    due = OutboundEmail.objects.filter(pk=outbox_id, next_attempt_at__lte=now).filter(
        state__in=[OutboundEmail.State.PENDING, OutboundEmail.State.SENDING]
    )
    lease = now + dt.timedelta(seconds=send_lease_s())
    if not due.update(state=OutboundEmail.State.SENDING, next_attempt_at=lease):
        return None
    return OutboundEmail.objects.get(pk=outbox_id)


def deliver_email(outbox_id: int) -> str:
    """Send one outbox message through the configured transport; on failure schedule the next attempt.

    Idempotent: a message already sent, failed for good, or held by another worker is left alone.
    """
    now = timezone.now()
    row = _claim(outbox_id, now)
    if row is None:
        return "skipped"
    backend = str(settings.MAIL_DELIVERY_BACKEND)
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=list(row.to),
        connection=get_connection(backend, fail_silently=False),
    )
    for content, mimetype in row.alternatives:
        message.attach_alternative(content, mimetype)
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport error is a failed attempt, recorded for the administrator
        attempts = row.attempts + 1
        final = attempts >= max_attempts()
        OutboundEmail.objects.filter(pk=row.pk).update(
            state=OutboundEmail.State.FAILED if final else OutboundEmail.State.PENDING,
            attempts=attempts,
            next_attempt_at=now + dt.timedelta(seconds=backoff_s(attempts)),
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        # No address, subject or body in the log (docs/security.md S7).
        logger.warning(
            "mail %s attempt %d failed: %s%s",
            row.public_id,
            attempts,
            type(exc).__name__,
            " (giving up)" if final else "",
        )
        return "failed" if final else "retry"
    # A backend that only prints or files the message has not sent it: the row says so, and keeps
    # saying so after e-mail is configured.
    delivered = stand_in(backend) is None
    OutboundEmail.objects.filter(pk=row.pk).update(
        state=OutboundEmail.State.SENT if delivered else OutboundEmail.State.NOT_SENT,
        attempts=row.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
        transport=backend[:200],
    )
    return "sent" if delivered else "not sent"


def deliver_pending_mail(*, limit: int = 200) -> dict[str, int]:
    """The sweep (every minute): deliver each due message, including those whose worker died mid-send."""
    now = timezone.now()
    due = (
        OutboundEmail.objects.filter(
            state__in=[OutboundEmail.State.PENDING, OutboundEmail.State.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for pk in list(due):
        outcome = deliver_email(pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def retry_email(*, row: OutboundEmail) -> None:
    """Give a failed message a fresh set of attempts (the administrator's "send again")."""
    OutboundEmail.objects.filter(pk=row.pk, state=OutboundEmail.State.FAILED).update(
        state=OutboundEmail.State.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(partial(_enqueue, row.pk))


# Messages that have not left and can still be taken back. Waiting ones (including those between
# retries) and failed ones (so that "send again" cannot send them). One a worker holds (``sending``) may
# be leaving at this moment and is left alone: the conditional UPDATE and the worker's claim never both
# win.
CANCELLABLE = (OutboundEmail.State.PENDING, OutboundEmail.State.FAILED)


def cancel_unsent_email(*, recipient: str, subject: str, created_since: dt.datetime | None = None) -> int:
    """Mark the messages to ``recipient`` with ``subject`` that have not left as cancelled, in the
    caller's transaction; return how many.

    For messages whose address stands for one thing at a time (a staff invitation: one open per
    address); a message about one of several records that may share an address is cancelled by
    :func:`cancel_unsent_email_about`.
    """
    rows = OutboundEmail.objects.filter(
        recipient=recipient.strip().lower()[:320], subject=subject, state__in=CANCELLABLE
    )
    if created_since is not None:
        rows = rows.filter(created_at__gte=created_since)
    return rows.update(state=OutboundEmail.State.CANCELLED)


def cancel_unsent_email_about(*, about_key: str) -> int:
    """Mark the messages queued about ``about_key`` that have not left as cancelled, in the caller's
    transaction; return how many. Messages to the same address about anything else are left alone."""
    if not about_key:
        raise ValueError("about_key must name what the messages are about")
    rows = OutboundEmail.objects.filter(about_key=about_key[:80], state__in=CANCELLABLE)
    return rows.update(state=OutboundEmail.State.CANCELLED)


def summary() -> dict[str, Any]:
    """Counts by state, for metrics and the readiness check."""
    from django.db.models import Count

    rows = OutboundEmail.objects.values("state").annotate(n=Count("id"))
    return {r["state"]: r["n"] for r in rows}
