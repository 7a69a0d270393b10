"""Opening hours: read from text ("Mon-Fri 08:00-18:00; Sat 09:00-13:00"), shown, and asked "open now?".

The text form is what `ketacare setup` takes; the settings page edits the same intervals day by day.
What patients are told to do depends on it: in hours, call the clinic; outside, the clinic's
after-hours number and instructions, or the crisis line and the emergency number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ketacare.lib.errors import FieldError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)
FORMAT_HELP = (
    "e.g. 'Mon-Fri 08:00-18:00; Sat 09:00-13:00' (days Mon..Sun, 24-hour times, opening before closing)"
)


@dataclass(frozen=True, slots=True)
class Interval:
    """Open from ``opens`` to ``closes`` (local time) on ``weekday`` (0 = Monday)."""

    weekday: int
    opens: dt.time
    closes: dt.time


def _time(text: str, field: str) -> dt.time:
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise FieldError(field, f"{field}: {text!r} is not a time of day (00:00 to 23:59)")
    return dt.time(hours, minutes)


def parse_opening_hours(text: str, *, field: str = "opening_hours") -> list[Interval]:
    """Intervals from the text form; an empty text means no hours (always "outside hours")."""
    intervals: dict[int, Interval] = {}
    for raw in re.split(r"[;\n]", text.strip().lower()):
        part = raw.strip().replace("–", "-")
        if not part:
            continue
        match = _PART.match(part)
        if match is None:
            raise FieldError(field, f"{field}: {raw.strip()!r} is not understood; {FORMAT_HELP}")
        first, last = match["first"], match["last"] or match["first"]
        if first not in DAYS or last not in DAYS:
            raise FieldError(
                field, f"{field}: day names are Mon, Tue, Wed, Thu, Fri, Sat, Sun; {FORMAT_HELP}"
            )
        opens, closes = _time(match["opens"], field), _time(match["closes"], field)
        if opens >= closes:
            raise FieldError(field, f"{field}: {raw.strip()!r} opens at or after it closes; {FORMAT_HELP}")
        start, end = DAYS.index(first), DAYS.index(last)
        if end < start:
            raise FieldError(field, f"{field}: {raw.strip()!r} runs backwards; write the days Mon to Sun")
        for weekday in range(start, end + 1):
            if weekday in intervals:
                raise FieldError(field, f"{field}: {DAY_NAMES[weekday]} is given twice; one interval per day")
            intervals[weekday] = Interval(weekday, opens, closes)
    return [intervals[d] for d in sorted(intervals)]


def format_opening_hours(intervals: list[Interval]) -> str:
    """The text form again, days with the same hours grouped ("Mon-Fri 08:00-18:00; Sat 09:00-13:00")."""
    groups: list[list[Interval]] = []
    for interval in sorted(intervals, key=lambda i: i.weekday):
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and interval.weekday == last.weekday + 1
            and (interval.opens, interval.closes) == (last.opens, last.closes)
        ):
            groups[-1].append(interval)
        else:
            groups.append([interval])
    parts = []
    for group in groups:
        first, final = group[0], group[-1]
        days = _SHORT[first.weekday] + (f"-{_SHORT[final.weekday]}" if len(group) > 1 else "")
        parts.append(f"{days} {first.opens:%H:%M}-{first.closes:%H:%M}")
    return "; ".join(parts)


def is_open(intervals: list[Interval], local: dt.datetime) -> bool:
    """Whether ``local`` (a time in the clinic's zone) falls inside the opening hours."""
    today = local.weekday()
    now = local.time()
    return any(i.weekday == today and i.opens <= now < i.closes for i in intervals)


def next_opening(intervals: list[Interval], local: dt.datetime) -> dt.datetime | None:
    """When the clinic next opens after ``local`` (an aware time in the clinic's zone), in that zone;
    None when there are no hours. A crisis screen at night says when the clinic will see the alert."""
    for ahead in range(8):
        day = local.date() + dt.timedelta(days=ahead)
        for interval in intervals:
            if interval.weekday == day.weekday():
                opens = dt.datetime.combine(day, interval.opens, tzinfo=local.tzinfo)
                if opens > local:
                    return opens
    return None
