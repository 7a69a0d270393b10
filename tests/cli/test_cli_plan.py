"""`ketacare plan`: a course in the patient's time zone, as JSON or text."""

from __future__ import annotations

from datetime import datetime

ESKETAMINE = (
    "plan",
    "--protocol",
    "esketamine_trd",
    "--start",
    "2026-12-01T09:00",
    "--tz",
    "America/New_York",
)


def test_the_esketamine_plan_json_has_every_documented_field(run_json):
    data = run_json(*ESKETAMINE, "--age", "45")
    # "findings" was added with the safety net (decision 0012); the earlier fields keep their order.
    assert list(data) == ["protocol_id", "preset_id", "tz", "sessions", "review", "notes", "findings"]
    assert (data["protocol_id"], data["preset_id"], data["tz"]) == (
        "esketamine_trd",
        "label",
        "America/New_York",
    )
    first = data["sessions"][0]
    assert list(first) == ["number", "phase", "week", "starts_at", "weekday", "dose_mg", "dose_rule", "note"]
    assert first["starts_at"] == "2026-12-01T09:00:00-05:00"
    assert (first["number"], first["phase"], first["week"], first["weekday"]) == (1, "induction", 1, "tue")
    assert first["dose_mg"] == 56
    assert list(data["review"]) == [
        "after_session",
        "not_before",
        "due_before",
        "note",
        "sources",
        "evidence",
    ]
    assert data["review"]["after_session"] == 8


def test_the_esketamine_plan_follows_the_label_schedule(run_json):
    sessions = run_json(*ESKETAMINE, "--age", "45")["sessions"]
    assert [s["phase"] for s in sessions] == ["induction"] * 8 + ["maintenance"] * 4
    assert [s["week"] for s in sessions] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8]
    assert all(s["dose_mg"] is None for s in sessions[1:])


def test_84_mg_is_never_the_first_esketamine_dose_and_65_or_over_starts_at_28(run_json):
    assert run_json(*ESKETAMINE, "--age", "64")["sessions"][0]["dose_mg"] == 56
    assert run_json(*ESKETAMINE, "--age", "70")["sessions"][0]["dose_mg"] == 28


def test_sessions_keep_nine_oclock_across_the_us_dst_change(run_json):
    args = ("plan", "--protocol", "esketamine_trd", "--start", "2026-10-19T09:00", "--tz", "America/New_York")
    sessions = run_json(*args, "--age", "45")["sessions"]
    times = [datetime.fromisoformat(s["starts_at"]) for s in sessions]
    assert {t.hour for t in times} == {9}
    assert {t.utcoffset().total_seconds() / 3600 for t in times} == {-4.0, -5.0}


def test_an_iv_plan_with_weight_gives_35_mg_for_70_kg(run_json):
    data = run_json(
        "plan", "--protocol", "iv_ketamine", "--start", "2026-10-19T14:00", "--tz", "Europe/Berlin",
        "--weight-kg", "70",
    )  # fmt: skip
    assert {s["dose_mg"] for s in data["sessions"]} == {35.0}
    assert data["sessions"][0]["dose_rule"] == "0.5 mg/kg over 40 min"
    assert [s["weekday"] for s in data["sessions"]] == ["mon", "wed", "fri"] * 2


def test_weekdays_sessions_and_maintenance_options_reach_the_planner(run_json):
    data = run_json(
        "plan", "--protocol", "iv_ketamine", "--start", "2026-10-19T14:00", "--tz", "Europe/Berlin",
        "--preset", "custom", "--weekday", "tue", "--weekday", "fri", "--sessions", "4",
        "--maintenance-sessions", "2", "--maintenance-interval-weeks", "3",
    )  # fmt: skip
    assert [s["weekday"] for s in data["sessions"]] == ["tue", "fri", "tue", "fri", "tue", "tue"]
    assert [s["phase"] for s in data["sessions"]][-2:] == ["maintenance", "maintenance"]


def test_a_start_with_an_offset_is_accepted(run_json):
    data = run_json(
        "plan", "--protocol", "iv_ketamine", "--start", "2026-10-19T12:00+00:00", "--tz", "Europe/Berlin"
    )
    assert data["sessions"][0]["starts_at"] == "2026-10-19T14:00:00+02:00"


def test_the_text_output_lists_sessions_and_the_review(run):
    result = run(*ESKETAMINE, "--age", "45")
    assert result.exit_code == 0
    assert "2026-12-01 09:00 tue" in result.stdout
    assert "review after session 8" in result.stdout


def test_a_missing_age_for_esketamine_exits_2(run, assert_bad_input):
    assert_bad_input(run(*ESKETAMINE), "ketacare plan: error:", "age_years is required")


def test_an_unknown_protocol_exits_2(run, assert_bad_input):
    result = run("plan", "--protocol", "ketamine", "--start", "2026-12-01T09:00", "--tz", "UTC")
    assert_bad_input(result, "unknown protocol 'ketamine'")


def test_an_unknown_time_zone_exits_2(run, assert_bad_input):
    result = run("plan", "--protocol", "iv_ketamine", "--start", "2026-12-01T09:00", "--tz", "Mars/Olympus")
    assert_bad_input(result, "unknown time zone 'Mars/Olympus'")


def test_a_malformed_start_exits_2(run, assert_bad_input):
    result = run("plan", "--protocol", "iv_ketamine", "--start", "1 Dec 2026", "--tz", "UTC")
    assert_bad_input(result, "--start '1 Dec 2026' is not an ISO 8601 date-time")


def test_an_unknown_weekday_exits_2(run, assert_bad_input):
    result = run(
        "plan", "--protocol", "iv_ketamine", "--start", "2026-12-01T09:00", "--tz", "UTC",
        "--preset", "custom", "--weekday", "funday", "--sessions", "2",
    )  # fmt: skip
    assert_bad_input(result, "--weekday 'funday' is not a weekday")


def test_a_dose_out_of_range_exits_2(run, assert_bad_input):
    result = run(
        "plan", "--protocol", "iv_ketamine", "--start", "2026-12-01T09:00", "--tz", "UTC",
        "--weight-kg", "70", "--mg-per-kg", "5",
    )  # fmt: skip
    assert_bad_input(result, "mg_per_kg 5 is out of range", "0.1-1")


def test_a_non_numeric_age_exits_2_with_one_line(run, assert_bad_input):
    assert_bad_input(run(*ESKETAMINE, "--age", "forty"), "ketacare plan: error:", "--age")


def test_a_missing_time_zone_exits_2_with_one_line(run, assert_bad_input):
    result = run("plan", "--protocol", "iv_ketamine", "--start", "2026-12-01T09:00")
    assert_bad_input(result, "ketacare plan: error:", "--tz")


def test_an_unknown_option_exits_2_with_one_line(run, assert_bad_input):
    assert_bad_input(run(*ESKETAMINE, "--age", "45", "--colour", "red"), "--colour")
