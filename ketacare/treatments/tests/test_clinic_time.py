"""Run-sheet times are on the clinic's wall clock, with the date when it is not today."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from django.utils import timezone

from ketacare.treatments.templatetags.clinic_time import when

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def test_today_shows_the_time_and_another_day_its_date_in_the_clinic_zone():
    with (
        time_machine.travel(dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC), tick=False),
        timezone.override(NEW_YORK),
    ):
        assert when(dt.datetime(2026, 12, 3, 14, 32, tzinfo=dt.UTC)) == "09:32"
        # 02:00 UTC on the 3rd is still the evening of the 2nd in New York: not today there.
        assert when(dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)) == "Wed 2 Dec, 21:00"
        assert when(None) == ""
