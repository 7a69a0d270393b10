"""Opening hours in their text form: read, written back, and "open now?"."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ketacare.clinics.hours import (
    Interval,
    format_opening_hours,
    is_open,
    next_opening,
    parse_opening_hours,
)
from ketacare.lib.errors import FieldError


def test_days_and_ranges_are_read_and_grouped_back():
    hours = parse_opening_hours("Mon-Fri 08:00-18:00; Sat 09:00-12:30")
    assert [i.weekday for i in hours] == [0, 1, 2, 3, 4, 5]
    assert hours[5] == Interval(5, dt.time(9), dt.time(12, 30))
    assert format_opening_hours(hours) == "Mon-Fri 08:00-18:00; Sat 09:00-12:30"


def test_lines_case_and_dashes_are_forgiven():
    hours = parse_opening_hours("mon 8:00 – 12:00\nWED 8:00-12:00\n")
    assert format_opening_hours(hours) == "Mon 08:00-12:00; Wed 08:00-12:00"


def test_an_empty_text_means_no_hours():
    assert parse_opening_hours("  ") == []
    assert not is_open([], dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC))


def test_open_includes_the_opening_minute_and_excludes_the_closing_one():
    hours = parse_opening_hours("Mon 08:00-18:00")
    monday = dt.date(2026, 11, 2)  # local times in the clinic zone; naive on purpose
    assert is_open(hours, dt.datetime.combine(monday, dt.time(8, 0)))
    assert not is_open(hours, dt.datetime.combine(monday, dt.time(18, 0)))
    assert not is_open(hours, dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(9, 0)))


def test_the_next_opening_is_later_today_or_on_the_next_day_with_hours():
    new_york = zoneinfo.ZoneInfo("America/New_York")
    hours = parse_opening_hours("Mon-Fri 08:00-18:00; Sat 09:00-13:00")

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2027, 1, day, hour, minute, tzinfo=new_york)  # 11 January 2027 is a Monday

    assert next_opening(hours, at(12, 1, 30)) == at(12, 8)  # Tuesday night: this morning
    assert next_opening(hours, at(12, 8)) == at(13, 8)  # the opening minute itself has passed
    assert next_opening(hours, at(9, 13)) == at(11, 8)  # Saturday 13:00: Monday, Sunday has no hours
    assert next_opening(hours, at(10, 23, 59)) == at(11, 8)
    assert next_opening(parse_opening_hours("Wed 10:00-11:00"), at(13, 10, 30)) == at(20, 10)  # a week on
    assert next_opening([], at(12, 1)) is None
    # Across the spring clock change the opening stays at 08:00 on the wall clock.
    sunday_night = dt.datetime(2027, 3, 14, 1, 0, tzinfo=new_york)
    assert next_opening(hours, sunday_night) == dt.datetime(2027, 3, 15, 8, 0, tzinfo=new_york)
    assert next_opening(hours, sunday_night).utcoffset() == dt.timedelta(hours=-4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon 18:00-08:00", "opens at or after it closes"),
        ("Fri-Mon 08:00-12:00", "runs backwards"),
        ("Mon 08:00-12:00; Mon 13:00-17:00", "Monday is given twice"),
        ("Someday 08:00-12:00", "is not understood"),
        ("Mon 24:00-25:00", "is not a time of day (00:00 to 23:59)"),
        ("Mon-Fri", "is not understood"),
        ("Xyz 08:00-09:00", "day names are Mon, Tue"),
    ],
)
def test_bad_hours_name_the_field_and_the_format(text, message):
    with pytest.raises(FieldError) as error:
        parse_opening_hours(text)
    assert error.value.field == "opening_hours" and message in error.value.message
