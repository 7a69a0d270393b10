"""One rule engine for the patient's day: each rule's end time and wording, in the patient's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ketacare.core import dayrules
from ketacare.core.dayrules import DayRuleError, active_rules, day_rules, minimum_hours, when_words

LONDON = "Europe/London"
UTC = dt.UTC


def _by_id(rules: tuple) -> dict:  # type: ignore[type-arg]
    return {r.id: r for r in rules}


def test_esketamine_driving_ends_the_next_morning_with_one_wording() -> None:
    # Left the clinic at 14:30 on Saturday 5 December (London = UTC in winter).
    left = dt.datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
    rules = _by_id(day_rules(route="esketamine_in", left_at=left, time_zone=LONDON))
    driving = rules["driving"]
    assert driving.ends_at == dt.datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo(LONDON))
    assert driving.sentence == (
        "No driving and no machinery before 09:00 tomorrow, Sunday 6 December, "
        "and only after a night's sleep and when you feel fully normal."
    )
    assert driving.sources == ("HCP-Dose", "HCP-Dose2")


def test_iv_minimum_hours_come_from_the_sourced_rule_text() -> None:
    assert minimum_hours("iv") == 24
    assert minimum_hours("esketamine_in") is None
    left = dt.datetime(2026, 12, 5, 11, 15, tzinfo=UTC)
    driving = _by_id(day_rules(route="iv", left_at=left, time_zone=LONDON))["driving"]
    # 24 h after 11:15 is later than 09:00 the next morning.
    assert driving.ends_at == dt.datetime(2026, 12, 6, 11, 15, tzinfo=ZoneInfo(LONDON))
    assert driving.end_text.startswith("before 11:15 tomorrow, Sunday 6 December")


def test_alcohol_and_decisions_and_active_rules() -> None:
    left = dt.datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    rules = _by_id(day_rules(route="esketamine_in", left_at=left, time_zone=LONDON))
    assert rules["alcohol"].ends_at == dt.datetime(2026, 12, 6, 14, 0, tzinfo=ZoneInfo(LONDON))
    assert rules["decisions"].ends_at == dt.datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo(LONDON))
    assert rules["eating"].ends_at is None
    evening = dt.datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    assert [
        r.id for r in active_rules(route="esketamine_in", left_at=left, time_zone=LONDON, now=evening)
    ] == [
        "driving",
        "alcohol",
        "decisions",
        "eating",
    ]
    next_noon = dt.datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert [
        r.id for r in active_rules(route="esketamine_in", left_at=left, time_zone=LONDON, now=next_noon)
    ] == ["alcohol"]


def test_the_end_words_are_said_as_seen_when_the_page_is_read() -> None:
    # Left at 14:00 on Saturday; read at 07:30 on Sunday the driving limit ends "today", not "tomorrow".
    left = dt.datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    morning = dt.datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
    rules = _by_id(active_rules(route="esketamine_in", left_at=left, time_zone=LONDON, now=morning))
    assert rules["driving"].end_text.startswith("before 09:00 today, Sunday 6 December")
    assert rules["alcohol"].end_text == "before 14:00 today, Sunday 6 December"
    # Read the evening before, the same limits end tomorrow.
    evening = dt.datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    rules = _by_id(active_rules(route="esketamine_in", left_at=left, time_zone=LONDON, now=evening))
    assert rules["driving"].end_text.startswith("before 09:00 tomorrow, Sunday 6 December")


def test_patient_zone_decides_the_calendar_day() -> None:
    # 23:30 UTC on 5 December is already 6 December in Sydney: the next morning is 7 December there.
    left = dt.datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    driving = _by_id(day_rules(route="esketamine_in", left_at=left, time_zone="Australia/Sydney"))["driving"]
    assert driving.ends_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))


def test_when_words() -> None:
    zone = ZoneInfo(LONDON)
    ref = dt.datetime(2026, 12, 5, 10, 0, tzinfo=zone)
    assert (
        when_words(dt.datetime(2026, 12, 5, 18, 0, tzinfo=zone), reference=ref)
        == "18:00 today, Saturday 5 December"
    )
    assert (
        when_words(dt.datetime(2026, 12, 8, 9, 0, tzinfo=zone), reference=ref)
        == "09:00 on Tuesday 8 December"
    )


def test_bad_input_is_named() -> None:
    with pytest.raises(DayRuleError, match="unknown route"):
        day_rules(route="smoke", left_at=dt.datetime(2026, 1, 1, tzinfo=UTC), time_zone=LONDON)
    with pytest.raises(DayRuleError, match="timezone-aware"):
        day_rules(route="iv", left_at=dt.datetime(2026, 1, 1), time_zone=LONDON)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(DayRuleError, match="time zone"):
        day_rules(route="iv", left_at=dt.datetime(2026, 1, 1, tzinfo=UTC), time_zone="Mars/Base")


def test_the_driving_words_before_a_session_are_the_day_rules_words_with_the_end_described() -> None:
    """Learn, preparation and e-mails say what the discharge sheet says, without a date (decision 0014)."""
    words = dayrules.driving_rule_words("iv")
    assert words.startswith("No driving and no machinery after a session until")
    # The minimum counts from leaving the clinic, as the dated rule counts it (day_rules' left_at), and
    # the two limits are one end, the later of them (the dated rule's max), not two rules side by side.
    assert "until 24 hours after you leave the clinic or 09:00 the next morning, whichever is later" in words
    assert "on the day of a session" not in words and "not before" not in words
    assert dayrules.AFTER_SLEEP_WORDS in words
    # Esketamine's sourced rule states no minimum; the general answer states each route's own end.
    assert "24 hours" not in dayrules.driving_rule_words("esketamine_in")
    assert "until 09:00 the next morning, and only after" in dayrules.driving_rule_words("esketamine_in")
    general = dayrules.driving_rule_words()
    assert "24 hours after you leave the clinic or 09:00 the next morning, whichever is later" in general
    assert "on the day of a session" not in general
    with pytest.raises(dayrules.DayRuleError, match="unknown route"):
        dayrules.driving_rule_words("nasal_spray")
