"""The suite's clock keeps away from the persona clinics' midnights (conftest.near_a_clinic_midnight)."""

from __future__ import annotations

import datetime as dt

from conftest import AFTER_MIDNIGHT, near_a_clinic_midnight


def test_the_hours_after_new_york_and_berlin_midnights_are_near_and_midday_is_not() -> None:
    day = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    assert near_a_clinic_midnight(day.replace(hour=5, minute=15))  # 00:15 in New York
    assert near_a_clinic_midnight(day.replace(hour=23, minute=30))  # 00:30 in Berlin
    assert not near_a_clinic_midnight(day.replace(hour=13))  # 08:00 in New York, 14:00 in Berlin
    # Three hours on, a test clock is clear of both midnights.
    for hour in (5, 6, 7, 23, 0, 1):
        assert not near_a_clinic_midnight(day.replace(hour=hour) + AFTER_MIDNIGHT), hour
