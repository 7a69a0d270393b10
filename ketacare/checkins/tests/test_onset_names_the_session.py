"""The "when it began" times name the session they count from: three days on, "About 1 hour after the
treatment" does not say which treatment; "after your session on Friday 4 December" does, on the
patient's clock, and "after your session today" on the day itself."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# Friday 4 December 2026, 10:00 in New York (patient A1's clock).
DOSED = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


def _onset_choices(client: Any) -> str:
    page = html.unescape(client.get(reverse("checkins:checkin")).content.decode())
    choices = page[page.index('id="onset-headache"') :]
    return choices[: choices.index("</select>")]


def test_three_days_on_the_times_name_the_session(personas: Any, client_for: Any) -> None:
    assert personas.a1.time_zone == "America/New_York"
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(DOSED + dt.timedelta(days=3), tick=False):
        choices = _onset_choices(client_for("a1"))
    assert '<option value="60">About 1 hour after your session on Friday 4 December</option>' in choices
    assert "after the treatment" not in choices


def test_on_the_day_the_times_say_today(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(DOSED + dt.timedelta(hours=2), tick=False):
        choices = _onset_choices(client_for("a1"))
    assert '<option value="60">About 1 hour after your session today</option>' in choices
    assert "after the treatment" not in choices
