"""`ketacare triage`: symptom reports to a level, with details per report."""

from __future__ import annotations


def test_nausea_three_hours_after_iv_is_expected(run_json):
    data = run_json("triage", "--symptom", "nausea", "--route", "iv", "--minutes-since", "180")
    assert list(data) == [
        "level",
        "patient_message",
        "route",
        "minutes_since_dose",
        "red_flag_ids",
        "reports",
        # Added with the safety net (decision 0012); the earlier fields keep their order.
        "hold_next_dose",
        "review_required",
        "home_bp",
        "free_text",
    ]
    assert data["level"] == "expected"
    assert (data["route"], data["minutes_since_dose"], data["red_flag_ids"]) == ("iv", 180.0, [])
    (report,) = data["reports"]
    assert list(report) == [
        "symptom_id",
        "severity",
        "kind",
        "entry_id",
        "name",
        "level",
        "rules",
        "expected_window",
        "longer_than_expected_after_min",
        "red_flag_id",
        "patient_message",
        "self_care",
        "sources",
        "onset_min",
        "matched_text",
    ]
    assert (report["symptom_id"], report["severity"], report["kind"]) == ("nausea", "mild", "side_effect")
    assert set(report["expected_window"]) == {"onset_min", "peak_min", "resolution_min"}


def test_one_severity_applies_to_every_symptom(run_json):
    data = run_json(
        "triage", "--symptom", "nausea", "--symptom", "headache", "--severity", "moderate",
        "--route", "iv", "--minutes-since", "60",
    )  # fmt: skip
    assert [r["severity"] for r in data["reports"]] == ["moderate", "moderate"]


def test_severities_pair_with_symptoms_in_order(run_json):
    data = run_json(
        "triage", "--symptom", "nausea", "--severity", "mild", "--symptom", "headache", "--severity", "severe",
        "--route", "iv", "--minutes-since", "60",
    )  # fmt: skip
    assert [(r["symptom_id"], r["severity"]) for r in data["reports"]] == [
        ("nausea", "mild"),
        ("headache", "severe"),
    ]


def test_chest_pain_is_an_emergency_red_flag(run_json):
    data = run_json("triage", "--symptom", "chest_pain", "--route", "esketamine_in", "--minutes-since", "30")
    assert data["level"] == "emergency"
    assert data["red_flag_ids"] == ["chest_pain"]


def test_new_urinary_symptoms_in_a_maintenance_patient_raise_the_cystitis_flag(run_json):
    two_weeks = str(14 * 24 * 60)
    data = run_json("triage", "--symptom", "urinary_symptoms", "--route", "iv", "--minutes-since", two_weeks)
    assert "urinary_symptoms" in data["red_flag_ids"]
    assert data["level"] in ("urgent", "emergency")
    assert "KIC-Review" in data["reports"][0]["sources"]


def test_no_symptoms_is_expected(run_json):
    assert run_json("triage", "--route", "iv", "--minutes-since", "10")["level"] == "expected"


def test_the_text_output_names_the_level(run):
    result = run("triage", "--symptom", "nausea", "--route", "iv", "--minutes-since", "180")
    assert result.exit_code == 0
    assert result.stdout.startswith("level: expected")


def test_an_unknown_symptom_exits_2(run, assert_bad_input):
    result = run("triage", "--symptom", "nausee", "--route", "iv", "--minutes-since", "180")
    assert_bad_input(result, "ketacare triage: error:", "unknown symptom id 'nausee'")


def test_an_unknown_route_exits_2(run, assert_bad_input):
    result = run("triage", "--symptom", "nausea", "--route", "nasal", "--minutes-since", "180")
    assert_bad_input(result, "unknown route 'nasal'")


def test_an_unknown_severity_exits_2(run, assert_bad_input):
    result = run(
        "triage", "--symptom", "nausea", "--severity", "awful", "--route", "iv", "--minutes-since", "1"
    )
    assert_bad_input(result, "unknown severity 'awful'")


def test_mismatched_severities_exit_2(run, assert_bad_input):
    result = run(
        "triage", "--symptom", "nausea", "--severity", "mild", "--severity", "severe", "--severity", "mild",
        "--symptom", "headache", "--route", "iv", "--minutes-since", "1",
    )  # fmt: skip
    assert_bad_input(result, "3 --severity values for 2 --symptom values")


def test_negative_minutes_exit_2(run, assert_bad_input):
    assert_bad_input(run("triage", "--route", "iv", "--minutes-since", "-5"), "minutes_since_dose")


def test_a_missing_route_exits_2_with_one_line(run, assert_bad_input):
    assert_bad_input(run("triage", "--minutes-since", "5"), "ketacare triage: error:", "--route")
