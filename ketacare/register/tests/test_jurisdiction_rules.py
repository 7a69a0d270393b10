"""Jurisdiction rules are data with sources; deadlines count business days in the clinic's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ketacare.register import rules


def test_every_rule_names_a_source_that_exists() -> None:
    sources = rules.sources()
    for code, data in rules.jurisdictions().items():
        for key in ("name", "schedule", "records_kept_years"):
            assert key in data, f"{code} lacks {key}"
        named = [data["schedule_source"], data["records_source"]] + [
            d["source"] for d in data["loss_deadlines"]
        ]
        for source in named:
            assert source in sources, f"{code} cites unknown source {source!r}"
            assert sources[source]["url"].startswith("https://")


def test_a_theft_found_on_friday_evening_is_reported_to_the_dea_by_monday() -> None:
    zone = zoneinfo.ZoneInfo("America/New_York")
    friday_evening = dt.datetime(2026, 12, 4, 19, 30, tzinfo=zone)  # 00:30 UTC on Saturday
    due = {d.id: d for d in rules.loss_deadlines("us", friday_evening, "America/New_York")}
    assert due["notify_authority"].due_on == dt.date(2026, 12, 7)
    assert due["notify_authority"].verified
    assert due["form_106"].due_on == dt.date(2027, 1, 18)


def test_an_unverified_rule_says_so() -> None:
    found = rules.loss_deadlines("uk", dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC), "Europe/London")
    assert found and not found[0].verified


def test_an_unknown_jurisdiction_names_the_known_ones() -> None:
    try:
        rules.jurisdiction("xx")
    except KeyError as error:
        assert "uk, us" in str(error)
    else:
        raise AssertionError("an unknown jurisdiction must be refused")
