"""The message thread through HTTP: the patient writes, the care team answers; every screen says it is
not for emergencies; emergency words show the emergency screen and raise the alert in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.messaging.models import Message

pytestmark = pytest.mark.django_db
AFTERNOON = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)


def _thread_url(patient: Any) -> str:
    return reverse("messaging:staff_thread", kwargs={"patient_id": str(patient.public_id)})


# 14:00 in New York: outside A1's quiet hours, so the "answer waiting" notification goes at once.
@time_machine.travel(AFTERNOON, tick=False)
def test_the_patient_writes_and_the_care_team_answers_from_the_inbox(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patient = client_for("a1")
    page = patient.get(reverse("messaging:thread"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not for emergencies" in text and "read during clinic hours" in text
    response = patient.post(
        reverse("messaging:thread"), {"idempotency_key": "m1", "body": "Can I move Thursday's session?"}
    )
    assert response.status_code == 302
    message = Message.objects.get(patient=personas.a1)
    assert message.author_kind == "patient" and message.answered_at is None and message.alert_id is None
    assert not Alert.objects.filter(patient=personas.a1).exists(), "an ordinary message is not an alert"

    clinician = client_for("clinician_a")
    inbox = clinician.get(reverse("messaging:inbox"))
    assert inbox.status_code == 200 and _thread_url(personas.a1) in inbox.content.decode()
    assert reverse("messaging:inbox") in clinician.get(reverse("alerts:inbox")).content.decode()
    staff_page = clinician.get(_thread_url(personas.a1))
    assert "Can I move Thursday&#x27;s session?" in staff_page.content.decode()
    assert personas.a1.full_name not in staff_page.content.decode().split("<title>")[1].split("</title>")[0]
    with django_capture_on_commit_callbacks(execute=True):
        answer = clinician.post(
            _thread_url(personas.a1), {"idempotency_key": "r1", "body": "Yes: Friday at 10."}
        )
    assert answer.status_code == 302
    message.refresh_from_db()
    assert message.answered_at is not None
    # The patient is told an answer waits, without the answer's words.
    assert [m.body.splitlines()[0] for m in mail.outbox] == [
        "KetaCare: your care team answered your message."
    ]
    assert "Friday" not in mail.outbox[0].body

    again = patient.get(reverse("messaging:thread")).content.decode()
    assert "Yes: Friday at 10." in again and "Your care team" in again


def test_a_retry_with_the_same_key_stores_one_message(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    for _ in range(2):
        patient.post(reverse("messaging:thread"), {"idempotency_key": "same", "body": "Hello"})
    assert Message.objects.filter(patient=personas.a1).count() == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_oversized_message_is_refused_and_nothing_is_written(
    personas: Any, client_for: Any, body: str
) -> None:
    response = client_for("a1").post(reverse("messaging:thread"), {"idempotency_key": "k", "body": body})
    assert response.status_code == 400
    assert "characters" in response.content.decode()
    assert not Message.objects.exists()


def test_i_cant_breathe_shows_the_emergency_screen_and_raises_the_emergency_alert(
    personas: Any, client_for: Any
) -> None:
    response = client_for("a1").post(
        reverse("messaging:thread"), {"idempotency_key": "e1", "body": "I can't breathe properly"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Get help now" in text
    assert f'href="tel:{personas.clinic_a.emergency_number}"' in text
    assert 'class="emergency-screen"' in text
    message = Message.objects.get(patient=personas.a1)
    alert = Alert.objects.get(patient=personas.a1)
    assert message.alert_id == alert.pk
    assert alert.source == Alert.Source.PATIENT_MESSAGE
    assert alert.severity in (Alert.Severity.EMERGENCY, Alert.Severity.URGENT)
    assert alert.clinic_id == personas.clinic_a.pk
    assert "breathe" in alert.detail


def test_a_denial_is_not_an_emergency(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("messaging:thread"), {"idempotency_key": "n1", "body": "No chest pain, just tired today"}
    )
    assert response.status_code == 302
    assert not Alert.objects.filter(patient=personas.a1).exists()


def test_staff_turn_a_message_into_an_alert_once(personas: Any, client_for: Any) -> None:
    client_for("a1").post(reverse("messaging:thread"), {"idempotency_key": "m1", "body": "I feel very low"})
    message = Message.objects.get(patient=personas.a1)
    clinician = client_for("clinician_a")
    url = reverse(
        "messaging:to_alert",
        kwargs={"patient_id": str(personas.a1.public_id), "message_id": str(message.public_id)},
    )
    first = clinician.post(url, {"severity": "urgent"})
    second = clinician.post(url, {"severity": "urgent"})
    assert first.status_code == second.status_code == 302
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.severity == "urgent" and alert.source == "patient_message"
    assert first["Location"] == reverse("alerts:detail", kwargs={"alert_id": str(alert.public_id)})
    message.refresh_from_db()
    assert message.alert_id == alert.pk
    bad = clinician.post(url, {"severity": "panic"})
    assert bad.status_code == 400


def test_another_clinic_cannot_read_or_answer_the_thread(personas: Any, client_for: Any) -> None:
    client_for("a1").post(reverse("messaging:thread"), {"idempotency_key": "m1", "body": "Private words"})
    other = client_for("clinician_b")
    assert other.get(_thread_url(personas.a1)).status_code == 404
    assert other.post(_thread_url(personas.a1), {"idempotency_key": "x", "body": "hi"}).status_code == 404
    assert "Private words" not in other.get(reverse("messaging:inbox")).content.decode()
    assert Message.objects.filter(patient=personas.a1).count() == 1
