"""The home page: time since the last session, the current aftercare phase, rules with end times in the patient's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.support.checkins import make_dose
from ketacare.checkins.timeline import timeline

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def test_rules_end_the_next_day_after_sleep_and_never_before_24_hours() -> None:
    dose = dt.datetime(2026, 3, 10, 15, 0, tzinfo=BERLIN)
    now = dose + dt.timedelta(hours=2)
    view = timeline(route="iv", started_at=dose, now=now, time_zone="Europe/Berlin")
    assert (
        view.phase.id == "first_hours" and view.next_phase is not None and view.next_phase.id == "rest_of_day"
    )
    driving = next(r for r in view.rules if r.text.startswith("No driving"))
    assert driving.ends_at == dose + dt.timedelta(hours=24)  # IV: "at least 24 hours" is later than noon
    others = [r for r in view.rules if not r.text.startswith("No driving")]
    assert others and all(r.ends_at == dt.datetime(2026, 3, 11, 12, tzinfo=BERLIN) for r in others)
    assert view.since == "2 hours"
    later = timeline(route="iv", started_at=dose, now=dose + dt.timedelta(days=2), time_zone="Europe/Berlin")
    assert later.phase.id == "24_72h" and later.rules == []


def test_the_home_page_shows_the_rules_end_time_on_the_patients_own_clock(
    personas: Any, client_for: Any
) -> None:
    dose = dt.datetime(2026, 6, 1, 9, 0, tzinfo=BERLIN)
    make_dose(personas.b1, route="esketamine_in", started_at=dose)
    with time_machine.travel(dose + dt.timedelta(hours=3), tick=False):
        body = client_for("b1").get(reverse("companion:home")).content.decode()
    assert "Your last session was 3 hours ago" in body
    assert "Rules active now" in body
    assert "Tuesday 2 Jun, 12:00" in body  # noon the next day in Berlin, not UTC
