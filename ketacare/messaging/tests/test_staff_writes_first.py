"""A clinician can write to a patient who has not written yet: the patient's record pages link to the
thread, and the form there says "Message to ..." until the patient has written (then it is an answer)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.messaging.models import Message

pytestmark = pytest.mark.django_db
AFTERNOON = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)


def _thread_url(patient: Any) -> str:
    return reverse("messaging:staff_thread", kwargs={"patient_id": str(patient.public_id)})


@pytest.mark.parametrize(
    "record_page", ["checkins:staff_checkins", "companion:staff_progress", "journal:staff_journal"]
)
def test_every_record_tab_links_to_the_patients_messages(
    personas: Any, client_for: Any, record_page: str
) -> None:
    page = client_for("clinician_a").get(reverse(record_page, args=[personas.a1.public_id]))
    assert page.status_code == 200
    assert f'<a href="{_thread_url(personas.a1)}">Messages</a>' in page.content.decode()


@time_machine.travel(AFTERNOON, tick=False)
def test_with_no_message_from_the_patient_the_form_is_a_message_not_an_answer(
    personas: Any, client_for: Any
) -> None:
    clinician = client_for("clinician_a")
    text = clinician.get(_thread_url(personas.a1)).content.decode()
    assert "No messages yet." in text
    assert f"Message to {html.escape(personas.a1.display_name)}</label>" in text
    assert ">Send message</button>" in text
    assert "Answer</label>" not in text and "Send answer" not in text

    sent = clinician.post(
        _thread_url(personas.a1), {"idempotency_key": "first", "body": "How are you today?"}
    )
    assert sent.status_code == 302
    (message,) = Message.objects.filter(patient=personas.a1)
    assert message.author_kind == Message.Author.STAFF and message.body == "How are you today?"
    assert "How are you today?" in client_for("a1").get(reverse("messaging:thread")).content.decode()
    # The care team's own message is still nothing to answer.
    assert ">Send message</button>" in clinician.get(_thread_url(personas.a1)).content.decode()


@time_machine.travel(AFTERNOON, tick=False)
def test_once_the_patient_has_written_the_form_is_an_answer(personas: Any, client_for: Any) -> None:
    written = client_for("a1").post(
        reverse("messaging:thread"), {"idempotency_key": "q1", "body": "Can I move my session?"}
    )
    assert written.status_code == 302
    text = client_for("clinician_a").get(_thread_url(personas.a1)).content.decode()
    assert "Answer</label>" in text and ">Send answer</button>" in text
    assert "Message to " not in text and "Send message" not in text


def test_the_inbox_says_how_to_write_to_a_patient_it_does_not_list(client_for: Any) -> None:
    text = client_for("clinician_a").get(reverse("messaging:inbox")).content.decode()
    assert "To write first to another patient" in text and reverse("patients:list") in text


def test_the_list_says_nothing_is_waiting_and_just_now_after_staff_write_first(personas, client_for):
    staff = client_for("clinician_a")
    url = reverse("messaging:staff_thread", kwargs={"patient_id": personas.a1.public_id})
    assert staff.post(
        url, {"idempotency_key": "first-words", "body": "Hello, how are you today?"}
    ).status_code in (
        200,
        302,
        303,
    )
    page = staff.get(reverse("messaging:inbox")).content.decode()
    row = page[page.index(personas.a1.full_name) :]
    row = row[: row.index("</tr>")]
    assert "nothing waiting" in row and "answered" not in row
    assert "just now" in row and "minutes ago" not in row
