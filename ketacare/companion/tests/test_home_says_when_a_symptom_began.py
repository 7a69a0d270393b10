"""Home says when an open symptom began as the patient said it: "It began today" is "since today" (on a
later day, "since Monday 7 December"), never the clock time the check-in was sent."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db

# Patient A1 keeps New York time. The session: Thursday 3 December 2026, 10:00; the check-in: Monday 7
# December, 14:32.
DOSED = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
MONDAY_1432 = dt.datetime(2026, 12, 7, 19, 32, tzinfo=dt.UTC)


def _open_symptoms(client: Any) -> str:
    """Home's "Is it gone?" list, as text."""
    page = client.get(reverse("companion:home")).content.decode()
    block = re.search(r'<section class="open-episodes".*?</section>', page, re.S)
    assert block is not None, "no open symptom on Home"
    return page_text(block.group(0))


@pytest.fixture
def headache_began_today(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(MONDAY_1432, tick=False):
        sent = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": uuid.uuid4().hex,
                "action": "submit",
                "symptom": "headache",
                "severity_headache": "moderate",
                "onset_headache": "day:2026-12-07",
            },
        )
    assert sent.status_code == 303


@pytest.mark.usefixtures("headache_began_today")
def test_home_says_since_today_not_the_time_of_the_check_in(client_for: Any) -> None:
    with time_machine.travel(MONDAY_1432 + dt.timedelta(minutes=5), tick=False):
        text = _open_symptoms(client_for("a1"))
    assert "Headache since today" in text
    assert "14:32" not in text


@pytest.mark.usefixtures("headache_began_today")
def test_home_names_the_day_it_began_on_a_later_day(client_for: Any) -> None:
    with time_machine.travel(MONDAY_1432 + dt.timedelta(days=2), tick=False):
        text = _open_symptoms(client_for("a1"))
    assert "Headache since Monday 7 December" in text
    assert "14:32" not in text
