"""A daily mood of 0 or 1 out of 10 shows the crisis line beside the thanks, as a check-in's mood does.

A mood of 2 or 3 gets the check-in's calm line instead (test_daily_mood_low_line.py).

The walkthrough's patient answered 0 ("worst possible") and read only "Thank you… your score is 0".
Clinic practice (patients.selectors.LOW_MOOD_SUPPORT_MAX); no alert for the mood alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert

pytestmark = pytest.mark.django_db


def _answer(client: Any, mood: str) -> str:
    sent = client.post(
        reverse("questionnaires:fill", kwargs={"instrument": "daily_mood"}),
        {"idempotency_key": f"mood-{mood}", "daily_mood.q1": mood},
        follow=True,
    )
    assert sent.status_code == 200
    return sent.content.decode()


@pytest.mark.parametrize("mood", ["0", "1"])
def test_a_very_low_daily_mood_shows_the_crisis_line(personas: Any, client_for: Any, mood: str) -> None:
    page = _answer(client_for("a1"), mood)
    assert 'data-testid="low-mood-support"' in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    assert not Alert.objects.exists()


def test_a_daily_mood_of_two_gets_the_calm_line_not_the_fuller_section(
    personas: Any, client_for: Any
) -> None:
    # The check-in's one low-mood rule (decision 0012): above 1 and up to 3, the calm line only.
    page = _answer(client_for("a1"), "2")
    assert 'data-testid="low-mood-support"' not in page
    assert 'data-testid="low-mood-line"' in page
