"""A time zone where it is the middle of the day now, for tests that replay hours of a clinic day.

A walk that charts a session started three hours ago fails in the hours after local midnight: the
session would belong to yesterday, and check-in and "today's instructions" are for today only. The
offsets below span -10 to +11 hours, so one of them is always between 08:00 and 16:00.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

CANDIDATES = (
    "America/New_York",
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def zone_at_midday(now: dt.datetime | None = None) -> str:
    """The first candidate zone whose local time is between 08:00 and 16:00 at ``now``."""
    now = now or dt.datetime.now(tz=dt.UTC)
    for name in CANDIDATES:
        if 8 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour < 16:
            return name
    raise AssertionError(
        f"no candidate zone is between 08:00 and 16:00 at {now:%H:%M} UTC"
    )  # pragma: no cover


def awake_in_both_clinics_after(moment: dt.datetime) -> dt.datetime:
    """The first 14:00 UTC at or after ``moment``: 09:00-10:00 in New York, 15:00-16:00 in Berlin, so
    outside both persona clinics' patients' default quiet hours (21:00 to 08:00 on their clock)."""
    day = moment.astimezone(dt.UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    return day if day >= moment else day + dt.timedelta(days=1)
