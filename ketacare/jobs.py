"""The scheduled jobs, run by the task queue's worker (`ketacare worker`, docs/decisions/0018).

Each job is the management command a clinic could also run from cron; each is idempotent (a reminder is
claimed before it is mailed, an alert has a dedupe key, an escalation is a conditional UPDATE), so a
job that runs twice — a worker killed mid-run and retried, two clusters at once — does nothing twice.
Jobs return a one-line summary of counts (never patient data), which the queue stores as the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ketacare.audit.services import seal_pending
from ketacare.interop.services import resume_stalled_exports
from ketacare.interop.webhooks import deliver_pending_webhooks
from ketacare.ops.mail import deliver_pending_mail


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
    counts = deliver_pending_mail()
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due"


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
    counts = deliver_pending_webhooks()
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due"


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
