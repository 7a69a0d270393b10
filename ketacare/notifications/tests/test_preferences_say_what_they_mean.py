"""/me/notifications/: choices that stop every reminder, or leave no quiet hours, are saved and the patient
is told what they mean, on saving and on the page for as long as they hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.notifications.models import Delivery

pytestmark = pytest.mark.django_db
NO_CHANNEL = "you will get no reminders and no check-in prompts. Your clinic can still call you."
NO_QUIET = "No quiet hours: messages may come at any time."


def _save(client: Any, **fields: str) -> Any:
    data = {"quiet_start": "21:00", "quiet_end": "08:00", **fields}
    return client.post(reverse("notifications:preferences"), data, follow=True)


def test_turning_off_every_channel_is_saved_with_a_warning_that_stays_on_the_page(
    client_for: Any, personas: Any
) -> None:
    client = client_for("a1")
    saved = _save(client)  # no channel ticked
    assert saved.status_code == 200
    pref = personas.a1.notification_preference
    assert (pref.push, pref.sms, pref.email) == (False, False, False)
    flashed = [str(m) for m in saved.context["messages"]]
    assert len(flashed) == 1 and flashed[0].startswith("Saved. Every way of reaching you is off")
    assert NO_CHANNEL in flashed[0]
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'data-testid="no-channel"' in page and NO_CHANNEL in page
    assert "except a follow-up about your safety" not in page  # nothing can reach them at all

    _save(client, email="on")
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'data-testid="no-channel"' not in page and NO_CHANNEL not in page
    assert "except a follow-up about your safety" in page


def test_a_test_asked_for_with_every_channel_off_says_none_was_sent(client_for: Any, personas: Any) -> None:
    saved = _save(client_for("a1"), action="test")
    flashed = " ".join(str(m) for m in saved.context["messages"])
    assert "No test was sent." in flashed
    assert not Delivery.objects.filter(patient=personas.a1).exists()


def test_the_same_start_and_end_says_there_are_no_quiet_hours(client_for: Any, personas: Any) -> None:
    client = client_for("a1")
    saved = _save(client, email="on", quiet_start="08:00", quiet_end="08:00")
    flashed = [str(m) for m in saved.context["messages"]]
    assert flashed == [f"Saved. {NO_QUIET}"]
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'data-testid="no-quiet-hours"' in page and NO_QUIET in page

    saved = _save(client, email="on", quiet_start="22:00", quiet_end="07:00")
    assert [str(m) for m in saved.context["messages"]] == ["Saved."]
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'data-testid="no-quiet-hours"' not in page
