"""Side-effect durations on the outcomes page: Turnbull's NPMLE over episode intervals, by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, answer_episode, submit_checkin
from ketacare.outcomes.selectors import Period, side_effect_rows
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _checkin(patient: Any, key: str, reports: list[ReportIn], now: dt.datetime) -> None:
    submit_checkin(patient=patient, idempotency_key=key, reports=reports, mood=None, note="", now=now)


def test_headache_durations_match_the_hand_computed_npmle(personas: Any) -> None:
    start = timezone.now() - dt.timedelta(days=10)
    # A1, first dose: seen at 60 min, not ticked at 180 min (gone by omission) -> [60, 180].
    make_dose(personas.a1, started_at=start)
    _checkin(personas.a1, "a1-1", [ReportIn("headache")], start + dt.timedelta(minutes=60))
    _checkin(personas.a1, "a1-2", [], start + dt.timedelta(minutes=180))
    # A1, second dose: seen at 30, "gone about 30 minutes ago" at 150 -> exactly 120.
    second = start + dt.timedelta(days=2)
    make_dose(personas.a1, started_at=second)
    _checkin(personas.a1, "a1-3", [ReportIn("headache")], second + dt.timedelta(minutes=30))
    episode = SymptomReport.objects.get(symptom_id="headache", dose_started_at=second)
    answer_episode(
        patient=personas.a1,
        episode_id=str(episode.public_id),
        gone=True,
        gone_minutes_ago=30,
        now=second + dt.timedelta(minutes=150),
    )
    # A2: seen at 60, never asked again -> [60, inf] (still open).
    make_dose(personas.a2, started_at=start)
    _checkin(personas.a2, "a2-1", [ReportIn("headache")], start + dt.timedelta(minutes=60))
    # B1: seen at 210, not ticked at 300 -> [210, 300].
    make_dose(personas.b1, started_at=start)
    _checkin(personas.b1, "b1-1", [ReportIn("headache")], start + dt.timedelta(minutes=210))
    _checkin(personas.b1, "b1-2", [], start + dt.timedelta(minutes=300))

    rows = side_effect_rows([personas.clinic_a, personas.clinic_b], Period())
    row = next(r for r in rows if r.symptom_id == "headache" and r.route == "iv")
    # Innermost intervals: [120, 120] and [210, 300]. [60,180] and [120,120] sit on the first only,
    # [210,300] on the second, [60,inf] on both. Self-consistency with s1 + s2 = 1:
    # s1 = (2 + s1) / 4 -> s1 = 2/3: the median end lies in [120, 120].
    assert (row.median_low, row.median_high) == (120, 120)
    assert (row.episodes, row.still_open) == (4, 1) and row.share_open == 0.25
    # Nobody was seen present past the 1,440-min threshold: nothing is "longer than expected".
    assert row.beyond_expected == 0
    assert row.route_name == "IV ketamine infusion"
