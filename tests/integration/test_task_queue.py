"""The scheduled jobs and e-mail run through the task queue (Django-Q2), here in its synchronous mode:
real jobs, the real outbox and delivery; tests/test_worker_process.py runs a real worker process."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Success
from django_q.tasks import async_task, result

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert
from ketacare.jobs import JOBS, ensure_schedules
from ketacare.messaging.models import DEFAULT_RESPONSE_TIME_MIN
from ketacare.ops.mail import backoff_s, deliver_email, deliver_pending_mail
from ketacare.ops.models import OutboundEmail
from tests.support.clock import awake_in_both_clinics_after
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
QUEUED = "ketacare.ops.mail.QueuedEmailBackend"


class RefusingBackend:
    """A transport whose server refuses every message (what an SMTP outage looks like to Django)."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("connection closed by the test server")


@pytest.fixture
def queued_mail(settings: Any) -> Any:
    settings.EMAIL_BACKEND = QUEUED
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER
    return settings


def test_the_worker_schedules_every_job_once_and_again_changes_nothing() -> None:
    first = ensure_schedules()
    before = list(Schedule.objects.values_list("name", "func", "minutes", "next_run").order_by("name"))
    assert ensure_schedules() == first
    after = list(Schedule.objects.values_list("name", "func", "minutes", "next_run").order_by("name"))
    assert before == after
    assert (
        {name for name, *_ in after}
        == {job.name for job in JOBS}
        >= {
            "send_reminders",
            "escalate_alerts",
            "raise_due_alerts",
            "check_course_signals",
        }
    )
    assert Schedule.objects.get(name="escalate_alerts").minutes == 1


def test_a_due_reminder_is_mailed_once_through_the_queue(
    personas: Any, queued_mail: Any, django_capture_on_commit_callbacks: Any
) -> None:
    later = awake_in_both_clinics_after(timezone.now() + dt.timedelta(hours=1))
    with time_machine.travel(later, tick=False):
        for _ in range(2):  # the schedule firing twice (a retried job) sends nothing twice
            with django_capture_on_commit_callbacks(execute=True):
                task_id = async_task("ketacare.jobs.send_reminders")
    # Both runs start at the same frozen instant, so their order is the task ids' (random): compare as a set.
    runs = Success.objects.filter(func="ketacare.jobs.send_reminders")
    assert sorted(run.result for run in runs) == [
        "scheduled 0 questionnaire(s); reminded 0 patient(s)",
        "scheduled 6 questionnaire(s); reminded 3 patient(s)",
    ]
    assert result(task_id) == "scheduled 0 questionnaire(s); reminded 0 patient(s)"
    # Two questionnaires due for each of three patients: one reminder each, through the outbox.
    assert OutboundEmail.objects.filter(state="sent").count() == 3 == len(mail.outbox)
    assert {m.to[0] for m in mail.outbox} == {
        "patient.a1@example.org",
        "patient.a2@example.org",
        "patient.b1@example.org",
    }


def test_an_escalation_mail_goes_through_the_outbox(
    personas: Any, queued_mail: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1), tick=False):
        make_alert(personas.a1)
    with django_capture_on_commit_callbacks(execute=True):
        async_task("ketacare.jobs.escalate_alerts")
    with django_capture_on_commit_callbacks(execute=True):
        async_task("ketacare.jobs.escalate_alerts")
    assert [m.to for m in mail.outbox] == [[personas.admin_a.email]]
    assert "not been acknowledged" in mail.outbox[0].subject + mail.outbox[0].body


def test_a_rolled_back_change_sends_nothing(queued_mail: Any) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("s", "b", None, ["x@example.org"])
        raise RuntimeError("the change failed")
    assert OutboundEmail.objects.count() == 0


def test_a_failing_server_is_retried_with_growing_waits_then_marked_failed(queued_mail: Any) -> None:
    queued_mail.MAIL_DELIVERY_BACKEND = f"{__name__}.RefusingBackend"
    queued_mail.MAIL_MAX_ATTEMPTS = 3
    send_mail("Hello", "body", None, ["someone@example.org"])
    row = OutboundEmail.objects.get()
    t = timezone.now()
    waits = []
    for _ in range(3):
        with time_machine.travel(t, tick=False):
            assert deliver_pending_mail() in ({"retry": 1}, {"failed": 1})
        row.refresh_from_db()
        waits.append((row.next_attempt_at - t).total_seconds())
        # Before the wait is over the sweep leaves it alone.
        with time_machine.travel(row.next_attempt_at - dt.timedelta(seconds=1), tick=False):
            assert deliver_pending_mail() == {}
        t = row.next_attempt_at
    assert waits == [backoff_s(1), backoff_s(2), backoff_s(3)] == [60, 120, 240]
    assert row.state == "failed" and row.attempts == 3
    assert row.last_error.startswith("SMTPServerDisconnected")
    with time_machine.travel(t + dt.timedelta(days=1), tick=False):
        assert deliver_pending_mail() == {}


def test_a_message_held_by_a_dead_worker_is_sent_after_its_lease(queued_mail: Any) -> None:
    send_mail("Hello", "body", None, ["someone@example.org"])
    row = OutboundEmail.objects.get()
    # A worker claimed it and died before sending: the row says "sending" until the lease ends.
    OutboundEmail.objects.filter(pk=row.pk).update(
        state="sending", next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert deliver_email(row.pk) == "skipped" and mail.outbox == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6), tick=False):
        assert deliver_pending_mail() == {"sent": 1}
    assert len(mail.outbox) == 1
    assert deliver_email(row.pk) == "skipped" and len(mail.outbox) == 1


def test_the_worker_seals_the_audit_rows_written_since_its_last_run(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.audit.models import AccessEvent
    from ketacare.audit.selectors import verify_chain
    from ketacare.audit.services import record_access_event

    for patient in (personas.a1, personas.b1):
        record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    assert verify_chain().pending == AccessEvent.objects.filter(row_hash__isnull=True).count() >= 2
    with django_capture_on_commit_callbacks(execute=True):
        task_id = async_task("ketacare.jobs.seal_audit_chain")
    assert result(task_id).startswith("sealed ")
    report = verify_chain()
    assert report.ok and report.pending == 0 and report.rows_checked == AccessEvent.objects.count()


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.name)
def test_every_scheduled_job_runs_through_the_queue(
    job: Any, personas: Any, queued_mail: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        task_id = async_task(job.func)
    assert Success.objects.filter(id=task_id).exists(), f"{job.name} failed in the queue"


def test_an_unanswered_patient_message_becomes_an_alert_through_the_queue(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent_at = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(sent_at, tick=False):
        response = client_for("a1").post(
            reverse("messaging:thread"), {"idempotency_key": "q1", "body": "Is this normal?"}
        )
        assert response.status_code == 302
    with time_machine.travel(sent_at + dt.timedelta(minutes=DEFAULT_RESPONSE_TIME_MIN + 1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            task_id = async_task("ketacare.jobs.escalate_unanswered_messages")
    assert result(task_id) == "escalated 1 message(s)"
    alert = Alert.objects.get(source="patient_message")
    assert alert.patient_id == personas.a1.pk
