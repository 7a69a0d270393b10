"""A message in everyday words ("my chest feels tight") is screened like a check-in, with the alert in the
same transaction; a refused message opens on an error summary that names the field and takes focus."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.messaging import services
from ketacare.messaging.forms import PAGE_INCOMPLETE
from ketacare.messaging.models import Message
from ketacare.messaging.views import ALREADY_SENT

pytestmark = pytest.mark.django_db
THREAD = reverse("messaging:thread")
CHEST = "My chest feels tight since I got home, is that normal?"


def test_a_tight_chest_in_a_message_shows_the_emergency_screen_and_raises_the_alert(
    personas: Any, client_for: Any
) -> None:
    response = client_for("a1").post(THREAD, {"idempotency_key": "chest", "body": CHEST})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert 'class="emergency-screen"' in page and "Get help now" in page
    assert f'href="tel:{personas.clinic_a.emergency_number}"' in page
    assert "Message sent. Your care team reads messages during clinic hours." not in page
    message = Message.objects.get(patient=personas.a1)
    assert message.screen["red_flag_ids"] == ["chest_pain"]
    assert message.screen["matched"] == ["chest feels tight"]
    alert = Alert.objects.get(patient=personas.a1)
    assert message.alert_id == alert.pk
    assert alert.severity == Alert.Severity.EMERGENCY and alert.source == Alert.Source.PATIENT_MESSAGE
    assert alert.evidence["red_flags"] == ["chest_pain"]
    # The care team sees which words were read as a red flag.
    staff = client_for("clinician_a").get(
        reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    assert "Red flag words: chest feels tight" in staff.content.decode()


def test_the_message_and_its_alert_are_written_together_or_not_at_all(
    personas: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: Any) -> Alert:
        raise RuntimeError("the alert could not be written")

    monkeypatch.setattr(services, "raise_alert", broken)
    with pytest.raises(RuntimeError):
        client_for("a1").post(THREAD, {"idempotency_key": "chest", "body": CHEST})
    assert not Message.objects.filter(patient=personas.a1).exists()


def test_an_ordinary_message_with_the_same_words_is_no_alert(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        THREAD, {"idempotency_key": "drawers", "body": "I tightened the strap on my chest of drawers"}
    )
    assert response.status_code == 302
    assert not Alert.objects.filter(patient=personas.a1).exists()


def _summary(page: str) -> str:
    found = re.search(r'<div class="error-summary"[^>]*>.*?</div>', page, re.S)
    assert found is not None, "no error summary"
    return found.group(0)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Your message is empty: write 1 to 2000 characters."),
        ("   ", "Your message is empty: write 1 to 2000 characters."),
        ("x" * 2001, "Your message has 2001 characters: shorten it to at most 2000."),
    ],
)
def test_a_refused_message_opens_on_a_summary_naming_the_field(
    personas: Any, client_for: Any, body: str, error: str
) -> None:
    response = client_for("a1").post(THREAD, {"idempotency_key": "k", "body": body})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "<title>Error: Messages" in page
    summary = _summary(page)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert "Your message was not sent" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [("id_body", error)]
    # The summary comes before the thread; the field says it is described by its own error.
    assert page.index('data-testid="error-summary"') < page.index('class="message-thread"')
    assert 'aria-describedby="id_body_error"' in page and 'aria-invalid="true"' in page
    at_field = re.search(r'<span class="field-error" id="id_body_error">(.*?)</span></p>', page, re.S)
    assert at_field is not None and error in at_field.group(1)
    assert not Message.objects.exists()


def test_a_page_without_its_key_says_to_send_again(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(THREAD, {"body": "Hello"})
    assert response.status_code == 400
    assert PAGE_INCOMPLETE in html.unescape(_summary(response.content.decode()))
    assert not Message.objects.exists()


def test_a_page_used_twice_for_different_words_keeps_the_words_and_sends_them_next_time(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    patient.post(THREAD, {"idempotency_key": "used", "body": "First words"})
    response = patient.post(THREAD, {"idempotency_key": "used", "body": "Second words"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert ALREADY_SENT in _summary(page)
    assert "Second words</textarea>" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None and key.group(1) != "used"
    again = patient.post(THREAD, {"idempotency_key": key.group(1), "body": "Second words"})
    assert again.status_code == 302
    assert list(
        Message.objects.filter(patient=personas.a1).order_by("id").values_list("body", flat=True)
    ) == [
        "First words",
        "Second words",
    ]


def test_the_care_teams_form_has_the_same_summary(personas: Any, client_for: Any) -> None:
    url = reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)})
    response = client_for("clinician_a").post(url, {"idempotency_key": "r", "body": ""})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "<title>Error: Messages" in page
    summary = _summary(page)
    assert "autofocus" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("id_body", "Your message is empty: write 1 to 2000 characters.")
    ]
