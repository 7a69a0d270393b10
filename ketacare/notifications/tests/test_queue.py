"""Notifications go through the task queue (Django-Q2, here in its synchronous mode): deliver() writes a
queued delivery in the caller's transaction, the queue's task sends it after the commit, once; the
retry job sends what the queue lost and retries failures (docs/decisions/0020)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task, result

from ketacare.notifications.channels import ConsoleSmsBackend
from ketacare.notifications.models import Delivery
from ketacare.notifications.services import (
    RETRY_WITHIN,
    SEND_LEASE,
    SEND_TASK,
    deliver,
    receive_sms,
    send_delivery,
    set_preferences,
)

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)  # 14:00 in New York, A1's zone


@pytest.fixture(autouse=True)
def _empty_sms_outbox() -> None:
    ConsoleSmsBackend.outbox.clear()


def test_a_delivery_is_written_queued_and_sent_by_the_queue_after_the_commit(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (delivery,) = deliver(
            patient=personas.a1, kind="checkin_prompt", url="https://k.example/me/", now=DAY
        )
        # Inside the change nothing has gone: the row waits for the commit.
        assert delivery.status == "queued" and delivery.attempts == 0
        assert mail.outbox == []
    assert len(callbacks) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1) and delivery.sent_at is not None
    assert [m.to for m in mail.outbox] == [[personas.a1.user.email]]
    task = Success.objects.get(func=SEND_TASK)
    assert task.args == (delivery.pk,) and task.result == "sent"


def test_a_rolled_back_change_sends_nothing(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY)
            raise RuntimeError("the change failed")
    assert callbacks == [] and not Delivery.objects.exists() and mail.outbox == []


def test_the_task_run_twice_sends_once(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY)
    task_id = async_task(SEND_TASK, delivery.pk)
    assert result(task_id) == "skipped" and len(mail.outbox) == 1


def test_a_delivery_the_queue_lost_is_sent_by_the_retry_job(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # The queue was down when the change committed: the callbacks never ran.
        with django_capture_on_commit_callbacks(execute=False):
            (lost,) = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY)
    with time_machine.travel(start + SEND_LEASE - dt.timedelta(seconds=1), tick=False):
        task_id = async_task("ketacare.jobs.retry_deliveries")
    assert result(task_id) == "retried 0 delivery(ies), 0 sent", "a fresh row is the queue's to send"
    with time_machine.travel(start + SEND_LEASE + dt.timedelta(seconds=1), tick=False):
        task_id = async_task("ketacare.jobs.retry_deliveries")
    assert result(task_id) == "retried 1 delivery(ies), 1 sent"
    lost.refresh_from_db()
    assert lost.status == "sent" and len(mail.outbox) == 1


def test_a_delivery_left_unsent_past_the_retry_window_is_dropped_not_sent_late(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=False):
        (late,) = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY)
    with time_machine.travel(start + RETRY_WITHIN + dt.timedelta(minutes=1), tick=False):
        async_task("ketacare.jobs.retry_deliveries")
    late.refresh_from_db()
    assert (late.status, late.reason) == ("failed", "not sent in time: dropped")
    assert mail.outbox == []


def test_a_stop_that_arrives_while_a_text_waits_in_the_queue_stops_it(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    set_preferences(
        patient=personas.a1,
        push=False,
        sms=True,
        email=False,
        phone="+1 555 0142",
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(8, 0),
    )
    with django_capture_on_commit_callbacks(execute=False):
        (waiting,) = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms(from_number="+15550142", body="STOP", now=DAY)
    # The confirmation goes (it answers the STOP), without the "Reply STOP" footer.
    assert [s.body for s in ConsoleSmsBackend.outbox] == [
        "KetaCare: you will get no more text messages. Reply START to get them again."
    ]
    assert send_delivery(waiting.pk) == "held"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reason) == ("held", "the patient texted STOP")
    assert len(ConsoleSmsBackend.outbox) == 1
    confirmation = Delivery.objects.get(kind="sms_stopped")
    assert (confirmation.status, confirmation.safety) == ("sent", True)
