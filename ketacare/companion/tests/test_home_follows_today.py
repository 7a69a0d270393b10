"""Home follows today: on the morning of a session it says what today holds, not the phase after the
last session; a heading always has something under it; session preparation is linked only when a
session is booked; the discharge instructions say which session they are from."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.support.checkins import make_dose
from tests.support.treatments import make_planned_session, make_session

pytestmark = pytest.mark.django_db

# 07:00 on Saturday 5 December in New York (Clinic A's and A1's zone).
MORNING = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def _text(body: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _section(body: str, title_id: str) -> str:
    return body.split(f'id="{title_id}"', 1)[1].split("</section>", 1)[0]


def _headings_have_content(timeline: str) -> None:
    """Each phase heading is followed by its "when" and a list with at least one item."""
    for after in timeline.split("<h3>")[1:]:
        assert re.match(r"[^<]+</h3>\s*<p class=\"muted\">[^<]+</p>\s*<ul><li>", after), after[:200]


def test_on_a_session_morning_home_says_what_today_holds(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    with time_machine.travel(MORNING, tick=False):
        # The last session was on Tuesday, four days ago; today's is at 10:00.
        make_dose(personas.a1, started_at=MORNING - dt.timedelta(days=4) + dt.timedelta(hours=3))
        make_planned_session(personas.a1, starts_at=MORNING + dt.timedelta(hours=3))
        body = client.get(reverse("companion:home")).content.decode()
        sheet = _text(client.get(reverse("companion:instructions")).content.decode())
    home = _text(body)
    assert "Your session is today at 10:00" in home
    timeline = _section(body, "timeline-title")
    assert "What to expect today" in timeline and "<h3>During your session</h3>" in timeline
    assert "Tell the staff how you feel" in timeline
    assert "After that: the first few hours (from leaving the clinic until the evening)." in _text(timeline)
    # The phase after Tuesday's session is not today's.
    assert "Your last session was" not in home and "The following weeks" not in home
    assert "Herbal supplements" not in home and "acupuncture" not in home
    _headings_have_content(timeline)
    # The sheet the link opens is still Tuesday's: the link and the sheet both say so.
    assert "Your discharge instructions from your last session, Tuesday 1 December" in home
    assert "These are the instructions from your last session, on Tuesday 1 December." in sheet
    assert "Your next session is on Saturday 5 December at 10:00" in sheet


def test_after_the_series_no_empty_heading_and_no_preparation_without_a_booking(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=timezone.now() - dt.timedelta(days=2))
    body = client_for("a1").get(reverse("companion:home")).content.decode()
    assert 'data-state="induction_finished"' in body
    timeline = _section(body, "timeline-title")
    assert "<h3>Next:" not in timeline  # the next phase is one line, not a heading with nothing under it
    assert 'data-testid="next-phase"' in timeline and "After that: the following weeks" in _text(timeline)
    _headings_have_content(timeline)
    appointment = _section(body, "next-title")
    assert "None booked yet" in appointment
    assert reverse("checkins:preparation") not in appointment
    assert "What to do before a session" not in body


def test_a_phase_with_nothing_to_list_gets_no_heading(personas: Any, client_for: Any) -> None:
    # 20:00 in New York, the dose at 14:00: "the rest of the treatment day", whose items are all said
    # elsewhere on Home (the day's rules, sleep, water and food).
    evening = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(evening, tick=False):
        make_dose(personas.a1, started_at=evening - dt.timedelta(hours=6))
        body = client_for("a1").get(reverse("companion:home")).content.decode()
    timeline = _section(body, "timeline-title")
    assert "Your last session was 6 hours ago" in timeline
    assert "The rest of the treatment day" not in timeline and "<ul></ul>" not in timeline
    _headings_have_content(timeline)
