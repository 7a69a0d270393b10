"""`ketacare score`: totals, bands, alerts and the change from baseline."""

from __future__ import annotations


def test_score_phq9_prints_the_total_and_band(run):
    result = run("score", "phq9", "1", "2", "0", "3", "1", "0", "2", "1", "0")
    assert result.exit_code == 0
    assert result.stdout.strip() == "phq9 total 10 of 27 (moderate)"


def test_score_json_has_every_documented_field(run_json):
    data = run_json("score", "phq9", "1", "2", "0", "3", "1", "0", "2", "1", "0")
    assert list(data) == [
        "instrument_id",
        "version",
        "total",
        "min_score",
        "max_score",
        "band",
        "subscores",
        "alerts",
        "answers",
        "baseline",
        "change",
    ]
    assert (data["instrument_id"], data["total"], data["band"], data["max_score"]) == (
        "phq9",
        10,
        "moderate",
        27,
    )
    assert data["answers"]["phq9.q4"] == 3
    assert data["baseline"] is None and data["change"] is None


def test_phq9_15_is_moderately_severe(run_json):
    assert (
        run_json("score", "phq9", "3", "3", "3", "3", "3", "0", "0", "0", "0")["band"] == "moderately severe"
    )


def test_phq9_item_9_positive_raises_an_alert_even_with_a_low_total(run_json):
    data = run_json("score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "1")
    assert data["total"] == 1
    assert [alert["code"] for alert in data["alerts"]] == ["suicide_risk"]
    assert data["alerts"][0]["item_id"] == "phq9.q9"


def test_a_baseline_adds_the_change_class(run_json):
    data = run_json("score", "phq9", "1", "2", "0", "3", "1", "0", "2", "1", "0", "--baseline", "20")
    assert (data["baseline"], data["change"]) == (20.0, "response")


def test_the_text_output_shows_alerts(run):
    result = run("score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "2")
    assert "ALERT suicide_risk" in result.stdout


def test_a_wrong_number_of_answers_exits_2_naming_the_count(run, assert_bad_input):
    assert_bad_input(
        run("score", "phq9", "1", "2", "0"), "ketacare score: error:", "expects 9 answers", "got 3"
    )


def test_an_answer_out_of_range_exits_2(run, assert_bad_input):
    assert_bad_input(run("score", "phq9", "1", "2", "0", "3", "1", "0", "2", "1", "7"), "phq9.q9", "7")


def test_an_answer_that_is_not_a_number_exits_2(run, assert_bad_input):
    assert_bad_input(run("score", "phq9", "1", "x"), "answer 'x' is not a whole number")


def test_an_unknown_instrument_exits_2_listing_the_ids(run, assert_bad_input):
    assert_bad_input(run("score", "phq10", "1"), "unknown instrument id 'phq10'", "phq9")


def test_a_baseline_outside_the_range_exits_2(run, assert_bad_input):
    args = ("score", "phq9", "1", "2", "0", "3", "1", "0", "2", "1", "0", "--baseline", "40")
    assert_bad_input(run(*args), "baseline score 40", "0-27")
