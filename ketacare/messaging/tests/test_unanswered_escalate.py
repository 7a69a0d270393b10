"""A patient message left unanswered past the clinic's response time raises an alert (the job), once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.lib.errors import FieldError
from ketacare.messaging.models import DEFAULT_RESPONSE_TIME_MIN, Message
from ketacare.messaging.services import set_message_policy

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def _send(client: Any, key: str, body: str) -> None:
    assert client.post(reverse("messaging:thread"), {"idempotency_key": key, "body": body}).status_code == 302


def test_an_unanswered_message_escalates_after_the_response_time_and_only_once(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        _send(client_for("a1"), "m1", "Question one")
        _send(client_for("a2"), "m2", "Question two")
        client_for("clinician_a").post(
            reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a2.public_id)}),
            {"idempotency_key": "r2", "body": "Answered."},
        )
    just_before = T0 + dt.timedelta(minutes=DEFAULT_RESPONSE_TIME_MIN - 1)
    with time_machine.travel(just_before, tick=False):
        call_command("escalate_unanswered_messages")
    assert not Alert.objects.exists()
    with time_machine.travel(T0 + dt.timedelta(minutes=DEFAULT_RESPONSE_TIME_MIN + 1), tick=False):
        call_command("escalate_unanswered_messages")
        call_command("escalate_unanswered_messages")
    alert = Alert.objects.get()
    assert alert.patient_id == personas.a1.pk and alert.source == "patient_message"
    assert alert.severity == "contact_clinic" and "Question one" not in alert.title
    assert Message.objects.get(patient=personas.a1).escalated_at is not None
    assert Message.objects.get(patient=personas.a2, author_kind="patient").escalated_at is None


def test_the_clinic_sets_its_own_response_time(personas: Any, client_for: Any) -> None:
    set_message_policy(clinic_id=personas.clinic_a.pk, response_time_min=60)
    with time_machine.travel(T0, tick=False):
        _send(client_for("a1"), "m1", "Question")
        _send(client_for("b1"), "m2", "Frage")
    with time_machine.travel(T0 + dt.timedelta(minutes=61), tick=False):
        call_command("escalate_unanswered_messages")
    assert list(Alert.objects.values_list("patient_id", flat=True)) == [personas.a1.pk]
    with pytest.raises(FieldError, match="30 to 10080 minutes"):
        set_message_policy(clinic_id=personas.clinic_a.pk, response_time_min=5)
