"""The run-sheet's blood-pressure chart of an ended session spans the session, not the days since.

Read four days after discharge, an axis running to "now" put some two hundred half-hour ticks under
the chart and squeezed the readings into its left edge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.treatments.timeline import build_timeline
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_a_discharged_session_read_days_later_is_charted_over_its_own_hours(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged")
    assert session.discharged_at is not None and session.checked_in_at is not None
    on_the_day = build_timeline(session, session.discharged_at)
    later = timezone.now() + dt.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        read_later = build_timeline(session, later)
    assert on_the_day is not None and read_later is not None
    # The same axis, the same points: the days since change nothing on the chart.
    assert read_later["ticks"] == on_the_day["ticks"]
    assert read_later["systolic"] == on_the_day["systolic"]
    assert read_later["now"] is None
    hours = (session.discharged_at - session.checked_in_at).total_seconds() / 3600
    assert len(read_later["ticks"]) <= 2 * hours + 3  # one tick every 30 minutes of the session
    # The readings spread over the plot, not into a sliver at its left edge.
    xs = [r["x"] for r in read_later["readings"]]
    assert max(xs) - min(xs) > (read_later["plot_right"] - read_later["plot_left"]) / 2


def test_a_live_session_still_marks_now(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing")
    chart = build_timeline(session, timezone.now())
    assert chart is not None and chart["now"] is not None
