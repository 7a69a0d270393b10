"""The scheduled jobs, run by the task queue's worker (`ketacare worker`, docs/decisions/0018).

Each job is the management command a clinic could also run from cron; each is idempotent (a reminder is
claimed before it is mailed, an alert has a dedupe key, an escalation is a conditional UPDATE), so a
job that runs twice — a worker killed mid-run and retried, two clusters at once — does nothing twice.
Jobs return a one-line summary of counts (never patient data), which the queue stores as the result.

Stopping (docs/decisions/0018, "Stopping a worker"): `ketacare worker` shares a stop flag with every
process of its cluster. TERM sets it before the library's stop procedure starts; the broker classes
below then take no further job and stop waiting on an empty queue, and the sweeps that talk to other
servers (mail, webhooks) finish the item in hand and leave the rest to the next run.
"""

from __future__ import annotations

import io
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_q.brokers.orm import ORM

from ketacare.audit.services import seal_pending
from ketacare.interop.services import resume_stalled_exports
from ketacare.interop.webhooks import deliver_pending_webhooks
from ketacare.ops.mail import deliver_pending_mail

try:
    from django_q.brokers.redis_broker import Redis as _Redis
except ImportError:  # the optional `redis` extra is not installed: the database is the broker
    _Redis = None

# Seconds between polls of an empty database queue (the library's own `poll` is 0, see settings).
QUEUE_POLL_S = 1.0
# Items one sweep run handles at most: the sweep functions' own default.
SWEEP_LIMIT = 200

_stop: Event | None = None


def prepare_stop() -> None:
    """Create the stop flag (`ketacare worker`, before its cluster starts: the cluster's processes are
    forked from it and share the flag)."""
    global _stop
    _stop = multiprocessing.get_context("fork").Event()


def request_stop() -> None:
    """The worker was asked to stop: take no new job, end sweeps after the item in hand."""
    if _stop is not None:
        _stop.set()


def stop_requested() -> bool:
    return _stop is not None and _stop.is_set()


def _wait_unless_stopping(seconds: float) -> None:
    if _stop is None:
        time.sleep(seconds)
    else:
        _stop.wait(seconds)


class DatabaseBroker(ORM):
    """The ORM broker, waiting between polls on the stop flag instead of sleeping: a stopping worker's
    pusher leaves at once rather than after its poll interval, and takes no job once the flag is set."""

    def dequeue(self) -> list[tuple[Any, Any]] | None:
        if stop_requested():
            time.sleep(0.05)  # the pusher asks again until the sentinel tells it to leave (milliseconds)
            return None
        tasks: list[tuple[Any, Any]] | None = super().dequeue()  # `poll` 0: returns at once when empty
        if tasks is None:
            _wait_unless_stopping(QUEUE_POLL_S)
        return tasks


if _Redis is not None:
    from redis.exceptions import ResponseError

    class RedisBroker(_Redis):
        """The Redis broker, blocking on the list a quarter of a second at a time (the library's BLPOP
        waits a whole second, which a stop cannot interrupt) and taking no job once the flag is set."""

        blpop_s: float = 0.25

        def dequeue(self) -> list[tuple[Any, Any]] | None:
            if stop_requested():
                time.sleep(0.05)
                return None
            try:
                task = self.connection.blpop(self.list_key, self.blpop_s)
            except ResponseError:
                if self.blpop_s == 1:
                    raise
                self.blpop_s = 1  # a server before Redis 6.0 takes whole seconds only
                return None
            return [(None, task[1])] if task else None


def _sweep(deliver_one_due: Callable[[], dict[str, int]]) -> str:
    """Run a delivery sweep one item at a time, so a stopping worker ends it after the item in hand:
    the rest stays due and the next run (here or on another worker) takes it."""
    counts: dict[str, int] = {}
    stopped = False
    for _ in range(SWEEP_LIMIT):
        if stop_requested():
            stopped = True
            break
        done = deliver_one_due()
        if not done:
            break
        for outcome, n in done.items():
            counts[outcome] = counts.get(outcome, 0) + n
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due"
    return f"{summary} (worker stopping: the rest is left for the next run)" if stopped else summary


def _run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue().strip()


def send_reminders() -> str:
    """Lay out due questionnaires and remind each patient once of those waiting."""
    return _run("send_reminders")


def escalate_alerts() -> str:
    """Escalate alerts left unacknowledged past the clinic's time."""
    return _run("escalate_alerts")


def raise_due_alerts() -> str:
    """Alerts that come from time passing (side effects, missed questionnaires, REMS deadlines)."""
    return _run("raise_due_alerts")


def check_course_signals() -> str:
    """Relapse, worsening and drop-out signals over the last day's scores."""
    return _run("check_course_signals", "--hours", "24")


def deliver_mail() -> str:
    """Deliver every due outbox message (new ones, retries after back-off, ones a dead worker held)."""
    return _sweep(lambda: deliver_pending_mail(limit=1))


def escalate_unanswered_messages() -> str:
    """An alert for each patient message left unanswered past the clinic's response time."""
    return _run("escalate_unanswered_messages")


def send_prompts() -> str:
    """The check-in and appointment prompts due on each patient's clock, outside their quiet hours."""
    return _run("send_prompts")


def retry_deliveries() -> str:
    """Retry notifications whose delivery failed (within their attempt limit)."""
    return _run("retry_deliveries")


def deliver_webhooks() -> str:
    """Send every due webhook delivery: ones whose queued task or worker was lost (docs/decisions/0019)."""
    return _sweep(lambda: deliver_pending_webhooks(limit=1))


def resume_exports() -> str:
    """Queue again each bulk export whose run was lost (docs/decisions/0019)."""
    return f"resumed {resume_stalled_exports()} export(s)"


def seal_audit_chain() -> str:
    """Seal the audit rows written since the last run into the keyed chain (docs/decisions/0016)."""
    return f"sealed {seal_pending()} audit rows"


@dataclass(frozen=True)
class Job:
    name: str
    func: str
    every_minutes: int


# Escalation is the safety net for an unread emergency: every minute. The hourly ones look back far
# enough (24 h, their own dedupe keys) that a missed run costs nothing.
JOBS = (
    Job("escalate_alerts", "ketacare.jobs.escalate_alerts", 1),
    # A row is tamper-evident from its sealing on: the interval is the window an attacker has.
    Job("seal_audit_chain", "ketacare.jobs.seal_audit_chain", 1),
    Job("send_reminders", "ketacare.jobs.send_reminders", 5),
    Job("raise_due_alerts", "ketacare.jobs.raise_due_alerts", 60),
    Job("check_course_signals", "ketacare.jobs.check_course_signals", 60),
    # The hours after a session (docs/decisions/0020): an unanswered message becomes an alert, prompts
    # go out on the patient's clock, failed notifications are retried within their attempt limit.
    Job("escalate_unanswered_messages", "ketacare.jobs.escalate_unanswered_messages", 15),
    Job("send_prompts", "ketacare.jobs.send_prompts", 15),
    Job("retry_deliveries", "ketacare.jobs.retry_deliveries", 15),
    # Safety sweeps behind work the queue normally does at once: webhooks and FHIR bulk exports.
    Job("deliver_webhooks", "ketacare.jobs.deliver_webhooks", 1),
    Job("resume_exports", "ketacare.jobs.resume_exports", 15),
    # Last: a fresh worker queues every schedule at once, in this order, so the mail the jobs above
    # write (reminders, escalations) goes out in the same start-up round, not a minute later.
    Job("deliver_mail", "ketacare.jobs.deliver_mail", 1),
)


def ensure_schedules() -> list[str]:
    """Create or update the queue's schedule rows for JOBS (idempotent; run at every worker start).

    A new schedule runs at once, so a fresh worker catches up with anything due; an existing one keeps
    its next run time. Schedules this code no longer names are removed.
    """
    from django_q.models import Schedule

    now = timezone.now()
    names = []
    with transaction.atomic():
        for job in JOBS:
            Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": job.func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": job.every_minutes,
                    "repeats": -1,
                },
                create_defaults={
                    "func": job.func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": job.every_minutes,
                    "repeats": -1,
                    "next_run": now,
                },
            )
            names.append(job.name)
        Schedule.objects.filter(func__startswith="ketacare.jobs.").exclude(name__in=names).delete()
    return names
