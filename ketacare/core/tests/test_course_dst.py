"""plan_sessions keeps the local wall-clock time of sessions across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ketacare.core.course import plan_sessions

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_new_york_plan_across_1_november_2026_stays_at_nine_oclock_local():
    # US DST ends Sunday 2026-11-01: EDT (UTC-4) before, EST (UTC-5) after.
    plan = plan_sessions(
        "esketamine_trd", start=datetime(2026, 10, 19, 9, 0, tzinfo=NY), tz="America/New_York", age_years=40
    )
    before = [s for s in plan.sessions if s.starts_at.date() < date(2026, 11, 1)]
    after = [s for s in plan.sessions if s.starts_at.date() > date(2026, 11, 1)]
    assert before and after
    assert {s.starts_at.timetz().replace(tzinfo=None) for s in plan.sessions} == {time(9, 0)}
    assert {s.starts_at.utcoffset() for s in before} == {timedelta(hours=-4)}
    assert {s.starts_at.utcoffset() for s in after} == {timedelta(hours=-5)}
    assert {s.starts_at.astimezone(UTC).hour for s in before} == {13}
    assert {s.starts_at.astimezone(UTC).hour for s in after} == {14}


def test_a_berlin_plan_across_25_october_2026_stays_at_fourteen_oclock_local():
    # EU summer time ends Sunday 2026-10-25: CEST (UTC+2) before, CET (UTC+1) after.
    plan = plan_sessions(
        "iv_ketamine", start=datetime(2026, 10, 19, 14, 0, tzinfo=BERLIN), tz="Europe/Berlin"
    )
    offsets = [s.starts_at.utcoffset() for s in plan.sessions]
    assert offsets == [timedelta(hours=2)] * 3 + [timedelta(hours=1)] * 3
    assert {s.starts_at.hour for s in plan.sessions} == {14}
    # One session a week apart across the change is 7 days and 1 hour of absolute time.
    # (Subtract in UTC: Python subtracts two datetimes of the same zone as wall-clock times.)
    first, fourth = plan.sessions[0].starts_at.astimezone(UTC), plan.sessions[3].starts_at.astimezone(UTC)
    assert fourth - first == timedelta(days=7, hours=1)


def test_a_session_on_the_night_of_the_fall_back_takes_the_first_of_two_ambiguous_times():
    # 01:30 happens twice in New York on 2026-11-01 (a Sunday); fold=0 is the first (EDT) one.
    plan = plan_sessions(
        "iv_ketamine",
        start=datetime(2026, 11, 1, 1, 30, tzinfo=NY),
        tz="America/New_York",
        preset="custom",
        weekdays=[6],
        session_count=2,
    )
    first, second = plan.sessions
    assert first.starts_at.utcoffset() == timedelta(hours=-4)
    assert first.starts_at.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert second.starts_at.hour == 1 and second.starts_at.minute == 30


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap():
    # 02:30 does not exist in New York on Sunday 2027-03-14; the next Sunday it does.
    plan = plan_sessions(
        "iv_ketamine",
        start=datetime(2027, 3, 7, 2, 30, tzinfo=NY),
        tz="America/New_York",
        preset="custom",
        weekdays=[6],
        session_count=3,
    )
    hours = [(s.starts_at.hour, s.starts_at.minute) for s in plan.sessions]
    assert hours == [(2, 30), (3, 30), (2, 30)]
    assert plan.sessions[1].starts_at.utcoffset() == timedelta(hours=-4)


def test_session_times_are_aware_and_in_the_plan_zone():
    plan = plan_sessions(
        "iv_ketamine", start=datetime(2026, 10, 19, 14, 0, tzinfo=BERLIN), tz="Europe/Berlin"
    )
    assert all(s.starts_at.tzinfo == BERLIN for s in plan.sessions)
