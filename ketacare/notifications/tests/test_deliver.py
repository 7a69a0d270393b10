"""deliver(): the patient's channels, quiet hours in their zone, no health details, a log of each outcome,
STOP for text messages, and retries; each delivery is written, then sent by the task queue (here in its
synchronous mode) once the change that wrote it commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from ketacare.core import knowledge as kb
from ketacare.notifications.channels import ConsoleSmsBackend
from ketacare.notifications.models import Delivery
from ketacare.notifications.services import (
    TEXTS,
    deliver,
    receive_sms,
    retry_failed_deliveries,
    set_preferences,
)

pytestmark = pytest.mark.django_db
# 14:00 in New York (A1's zone), and 23:30 there.
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)
NIGHT = dt.datetime(2026, 3, 3, 4, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _empty_sms_outbox() -> None:
    ConsoleSmsBackend.outbox.clear()


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Callable[..., list[Delivery]]:
    """deliver() in a change that commits: the queue's task sends each delivery; returns them as logged."""

    def _send(**kwargs: Any) -> list[Delivery]:
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = deliver(**kwargs)
        for delivery in deliveries:
            delivery.refresh_from_db()
        return deliveries

    return _send


def _sms_on(patient: Any, phone: str = "+1 555 0142") -> None:
    set_preferences(
        patient=patient,
        push=False,
        sms=True,
        email=True,
        phone=phone,
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(8, 0),
    )


def test_by_default_an_email_goes_and_is_logged(personas: Any, send: Any) -> None:
    deliveries = send(patient=personas.a1, kind="checkin_prompt", url="https://k.example/me/", now=DAY)
    assert [(d.channel, d.status) for d in deliveries] == [("email", "sent")]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [personas.a1.user.email]
    assert mail.outbox[0].body.startswith("KetaCare: you have a check-in waiting.")


def test_no_text_carries_health_details_or_the_patients_name(personas: Any) -> None:
    known = kb.knowledge()
    words = [e.name.lower() for e in known.side_effects.values()] + [
        f.name.lower() for f in known.red_flags.values()
    ]
    words += ["ketamine", "esketamine", "phq", "score", "suicid", "dose", personas.a1.full_name.lower()]
    for text in TEXTS.values():
        assert not [w for w in words if w in text.lower()], text


def test_quiet_hours_hold_a_prompt_back_but_not_a_safety_follow_up(personas: Any, send: Any) -> None:
    _sms_on(personas.a1)
    held = send(patient=personas.a1, kind="checkin_prompt", url="/me/", now=NIGHT, dedupe_key="p1")
    assert {d.status for d in held} == {"held"} and {d.reason for d in held} == {"quiet hours"}
    assert not ConsoleSmsBackend.outbox and not mail.outbox
    # The same prompt after the quiet hours goes (held is not sent).
    sent = send(
        patient=personas.a1,
        kind="checkin_prompt",
        url="/me/",
        now=DAY + dt.timedelta(days=1),
        dedupe_key="p1",
    )
    assert {d.status for d in sent} == {"sent"}
    safety = send(patient=personas.a1, kind="checkin_prompt", url="/me/", now=NIGHT, safety=True)
    assert {d.status for d in safety} == {"sent"}


def test_a_prompt_with_the_same_key_is_sent_once_per_channel(personas: Any, send: Any) -> None:
    _sms_on(personas.a1)
    for _ in range(3):
        send(patient=personas.a1, kind="questionnaire_due", url="/me/", now=DAY, dedupe_key="q:1")
    assert len(ConsoleSmsBackend.outbox) == 1 and len(mail.outbox) == 1
    assert Delivery.objects.filter(patient=personas.a1, status="sent").count() == 2


def test_an_sms_in_the_console_backend_and_stop_handling(
    personas: Any, send: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_on(personas.a1, phone="+1 (555) 0142")
    send(patient=personas.a1, kind="checkin_prompt", url="https://k.example/me/", now=DAY, channels=["sms"])
    text = ConsoleSmsBackend.outbox[-1]
    assert text.to == "+1 (555) 0142"
    assert (
        text.body == "KetaCare: you have a check-in waiting. https://k.example/me/ Reply STOP to stop texts."
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sms_inbound", "--from", "+15550142", "--body", "Stop")
    assert ConsoleSmsBackend.outbox[-1].body.startswith("KetaCare: you will get no more text messages")
    held = send(
        patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY, channels=["sms"], dedupe_key="x"
    )
    assert held[0].status == "held" and held[0].reason == "the patient texted STOP"
    count = len(ConsoleSmsBackend.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert receive_sms(from_number="+1 555 0142", body="START", now=DAY) == 1
    assert len(ConsoleSmsBackend.outbox) == count + 1
    again = send(
        patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY, channels=["sms"], dedupe_key="x"
    )
    assert again[0].status == "sent"
    # Another number's STOP changes nobody.
    assert receive_sms(from_number="+1 555 9999", body="STOP", now=DAY) == 0


def test_a_failed_email_is_logged_and_retried(personas: Any, send: Any) -> None:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=1,
        EMAIL_TIMEOUT=2,
    ):
        failed = send(
            patient=personas.a1, kind="checkin_prompt", url="https://k.example/me/checkin/", now=DAY
        )
    assert failed[0].status == "failed" and "e-mail not handed over" in failed[0].reason
    assert personas.a1.user.email not in failed[0].reason
    from django.utils import timezone

    retried = retry_failed_deliveries(now=timezone.now())
    assert [(d.status, d.attempts) for d in retried] == [("sent", 2)]
    assert len(mail.outbox) == 1 and "https://k.example/me/checkin/" in mail.outbox[0].body
    assert retry_failed_deliveries(now=timezone.now()) == [], "a sent delivery is not retried"


def test_an_unknown_kind_is_refused(personas: Any) -> None:
    from ketacare.lib.errors import FieldError

    with pytest.raises(FieldError, match="kind"):
        deliver(patient=personas.a1, kind="your PHQ-9 score is 23", url="/me/", now=DAY)
    assert not Delivery.objects.exists()


def test_the_patient_chooses_channels_and_quiet_hours_through_the_page(
    personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    client = client_for("a1")
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200 and "KetaCare: you have a check-in waiting." in page.content.decode()
    bad = client.post(
        reverse("notifications:preferences"), {"sms": "on", "quiet_start": "21:00", "quiet_end": "08:00"}
    )
    assert bad.status_code == 400 and "Give a mobile number" in bad.content.decode()
    saved = client.post(
        reverse("notifications:preferences"),
        {"sms": "on", "phone": "+1 555 0142", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert saved.status_code == 302
    pref = personas.a1.notification_preference
    assert (pref.sms, pref.email, pref.quiet_start) == (True, False, dt.time(22, 0))
