"""A daily mood questionnaire follows the check-in's one low-mood rule (patients.selectors, decision 0012).

A patient who rated their mood 2 in the daily questionnaire read only "Thank you", while the same mood
in a check-in brought a calm line with the crisis line. Now 2 or 3 out of 10 brings that same line
(the same sentence, from one template), 0 or 1 the fuller "Your mood is very low" section, 4 neither;
no alert for the mood alone.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db

LINE = r'<p data-testid="low-mood-line">.*?</p>'


def _questionnaire(client: Any, mood: str) -> str:
    sent = client.post(
        reverse("questionnaires:fill", kwargs={"instrument": "daily_mood"}),
        {"idempotency_key": uuid.uuid4().hex, "daily_mood.q1": mood},
        follow=True,
    )
    assert sent.status_code == 200
    return sent.content.decode()


def _checkin(client: Any, mood: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", "mood": mood},
    )
    assert sent.status_code == 303, page_text(sent.content.decode())[:600]
    return client.get(sent["Location"]).content.decode()


def _line(page: str) -> str:
    found = re.findall(LINE, page, re.S)
    assert len(found) == 1, page_text(page)
    return found[0]


@pytest.mark.parametrize("mood", ["2", "3"])
def test_a_low_daily_mood_shows_the_calm_line_with_the_clinics_numbers(
    personas: Any, client_for: Any, mood: str
) -> None:
    clinic = personas.a1.clinic
    page = _questionnaire(client_for("a1"), mood)
    line = _line(page)
    assert f'href="tel:{clinic.crisis_line}"' in line and f'href="tel:{clinic.emergency_number}"' in line
    assert "thoughts of suicide" in page_text(line)
    assert 'data-testid="low-mood-support"' not in page
    # The line gives the numbers: "what happens next" does not say them a second time.
    assert 'data-testid="crisis-line"' not in page
    assert page.count(f'href="tel:{clinic.crisis_line}"') == 1
    assert not Alert.objects.exists()


def test_a_fair_daily_mood_shows_neither_the_line_nor_the_section(personas: Any, client_for: Any) -> None:
    page = _questionnaire(client_for("a1"), "4")
    assert 'data-testid="low-mood-line"' not in page
    assert 'data-testid="low-mood-support"' not in page
    # The general "if you have thoughts of suicide" sentence every result page has stays.
    assert 'data-testid="crisis-line"' in page


def test_a_daily_mood_of_one_shows_the_fuller_section_not_the_line(personas: Any, client_for: Any) -> None:
    page = _questionnaire(client_for("a1"), "1")
    assert 'data-testid="low-mood-support"' in page
    assert "Your mood is very low" in page_text(page)
    assert 'data-testid="low-mood-line"' not in page


def test_a_check_in_and_a_questionnaire_say_the_same_sentence_for_a_mood_of_three(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    from_checkin = _line(_checkin(client, "3"))
    from_questionnaire = _line(_questionnaire(client, "3"))
    assert from_questionnaire == from_checkin
    assert not Alert.objects.exists()
