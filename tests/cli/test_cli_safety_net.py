"""The safety-net rules on the command line (decision 0012): each with --json, bad input exits 2."""

from __future__ import annotations

import pytest

PLAN = ("plan", "--start", "2026-12-01T09:00", "--tz", "America/New_York")


# --- triage: severity at the blood-pressure peak, home blood pressure, onset, free text ------------------


def test_the_issues_severe_headache_40_minutes_after_esketamine_is_urgent(run_json):
    # BP peaks ~40 min after esketamine [JNJ-CV]; a crisis needs emergency care [JNJ-BP].
    data = run_json(
        "triage",
        "--symptom",
        "headache",
        "--severity",
        "severe",
        "--route",
        "esketamine_in",
        "--minutes-since",
        "40",
    )
    assert data["level"] == "urgent"
    data = run_json(
        "triage",
        "--symptom", "raised_blood_pressure", "--severity", "severe",
        "--route", "esketamine_in", "--minutes-since", "60",
    )  # fmt: skip
    assert data["level"] == "urgent"


def test_a_home_reading_is_judged_and_reported(run_json):
    # >= 180/120 without symptoms: urgent [HTN-Crisis] [JNJ-CV].
    data = run_json(
        "triage", "--route", "esketamine_in", "--minutes-since", "200",
        "--systolic", "185", "--diastolic", "100", "--pulse", "88",
    )  # fmt: skip
    assert data["level"] == "urgent"
    reading = data["home_bp"]
    assert list(reading) == [
        "level",
        "patient_message",
        "systolic_mmhg",
        "diastolic_mmhg",
        "pulse_bpm",
        "hold_limits",
        "findings",
    ]
    assert reading["findings"][0]["code"] == "crisis"
    assert reading["hold_limits"] == {"systolic_mmhg": 140, "diastolic_mmhg": 90, "from": "route"}


def test_the_clinics_hold_threshold_and_the_age_are_used(run_json):
    data = run_json(
        "triage", "--route", "iv", "--minutes-since", "300", "--systolic", "150", "--diastolic", "85",
        "--hold-systolic", "160", "--hold-diastolic", "100",
    )  # fmt: skip
    assert data["level"] == "expected" and data["home_bp"]["hold_limits"]["from"] == "clinic"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--systolic", "400", "--diastolic", "80"), "--systolic 400 is out of range; allowed 50-300"),
        (("--systolic", "120", "--diastolic", "10"), "--diastolic 10 is out of range; allowed 20-200"),
        (
            ("--systolic", "120", "--diastolic", "80", "--pulse", "300"),
            "--pulse 300 is out of range; allowed 20-250",
        ),
        (
            (
                "--systolic",
                "120",
            ),
            "needs both --systolic and --diastolic",
        ),
        (("--systolic", "80", "--diastolic", "90"), "--diastolic 90 must be below --systolic 80"),
        (
            ("--systolic", "120", "--diastolic", "80", "--hold-systolic", "150"),
            "--hold-systolic and --hold-diastolic",
        ),
        (
            (
                "--age",
                "200",
            ),
            "--age 200 is out of range; allowed 0-130",
        ),
    ],
)
def test_a_bad_home_reading_exits_2_naming_the_option_and_range(run, assert_bad_input, args, fragment):
    assert_bad_input(
        run("triage", "--route", "iv", "--minutes-since", "60", *args), "ketacare triage: error:", fragment
    )


def test_onset_minutes_judge_a_late_symptom_as_new(run_json):
    data = run_json(
        "triage", "--symptom", "nausea", "--onset-minutes", "300", "--route", "iv", "--minutes-since", "310"
    )
    assert data["level"] == "contact_clinic"
    assert data["reports"][0]["onset_min"] == 300


def test_an_onset_after_the_report_exits_2_naming_the_range(run, assert_bad_input):
    result = run(
        "triage", "--symptom", "nausea", "--onset-minutes", "40", "--route", "iv", "--minutes-since", "30"
    )
    assert_bad_input(result, "--onset-minutes 40 for 'nausea' is out of range; allowed 0-30")
    result = run(
        "triage", "--symptom", "nausea", "--symptom", "headache", "--onset-minutes", "1", "--onset-minutes", "2",
        "--onset-minutes", "3", "--route", "iv", "--minutes-since", "30",
    )  # fmt: skip
    assert_bad_input(result, "3 --onset-minutes values for 2 --symptom values")


def test_other_text_takes_the_red_flag_path_or_asks_for_review(run_json):
    data = run_json("triage", "--route", "iv", "--minutes-since", "600", "--other-text", "I can't breathe")
    assert data["level"] == "emergency" and data["red_flag_ids"] == ["difficulty_breathing"]
    assert data["reports"][0]["matched_text"] == "cant breathe"
    data = run_json("triage", "--route", "iv", "--minutes-since", "600", "--other-text", "my toe feels odd")
    assert data["review_required"] is True and data["level"] == "contact_clinic"
    assert data["free_text"]["outcome"] == "review"


def test_free_text_screens_the_words_on_its_own(run_json, run):
    data = run_json("free-text", "No chest pain, but I fainted this morning")
    assert list(data) == [
        "outcome",
        "level",
        "review_required",
        "red_flag_ids",
        "matches",
        "patient_message",
        "sources",
    ]
    assert data["outcome"] == "red_flag" and data["red_flag_ids"] == ["unrousable_or_fainting"]
    assert {"red_flag_id": "chest_pain", "phrase": "chest pain", "negated": True} in data["matches"]
    assert run("free-text", "nothing").stdout.startswith("outcome: none")


# --- screen: drug classes and the clinic's classification ------------------------------------------------


def test_screen_recognises_the_classes_of_the_issue(run_json):
    data = run_json(
        "screen", "--medication", "pregabalin 75 mg", "--medication", "Zyvox", "--medication", "Brand-X"
    )
    by_text = {m["text"]: m for m in data["medications"]}
    assert by_text["pregabalin 75 mg"]["class_ids"] == ["gabapentinoids"]
    assert by_text["Zyvox"]["class_ids"] == ["maois"]
    assert data["rems_form_items"] == ["maois"]
    assert data["needs_prescriber_classification"] == ["Brand-X"]
    assert by_text["Brand-X"]["classified_by"] == "unclassified"


def test_the_clinics_classification_is_taken(run_json):
    data = run_json("screen", "--medication", "Brand-X 5 mg", "--clinic-class", "brand x=benzodiazepines")
    assert data["needs_prescriber_classification"] == []
    assert data["medications"][0]["classified_by"] == "clinic"
    assert data["rems_form_items"] == ["benzodiazepines"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("brand x", "--clinic-class 'brand x' must be KEY=VALUE"),
        ("brand x=sedatives", "--clinic-class 'sedatives'"),
    ],
)
def test_a_bad_clinic_class_exits_2(run, assert_bad_input, value, fragment):
    assert_bad_input(run("screen", "--medication", "brand x", "--clinic-class", value), fragment)


def test_knowledge_list_screening_lists_conditions_and_classes(run_json):
    items = run_json("knowledge", "list", "screening")["items"]
    kinds = {item["kind"] for item in items}
    assert kinds == {"condition", "class"}
    maois = next(item for item in items if item["id"] == "maois")
    assert "linezolid" in maois["names"] and "methylene blue" in maois["names"]
    assert "FDA-MAOI-2011" in maois["sources"] and maois["rems_form_item"] == "maois"


# --- dose steps, plan findings, the IM protocol ---------------------------------------------------------


def test_dose_steps_follow_the_label(run_json):
    data = run_json("dose-steps", "--protocol", "esketamine_trd", "--age", "72", "--previous", "28")
    assert list(data) == [
        "protocol_id",
        "allowed_mg",
        "first_dose",
        "rule",
        "previous_doses_mg",
        "evidence",
        "sources",
        "findings",
    ]
    assert data["allowed_mg"] == [28, 56]
    first = run_json("dose-steps", "--protocol", "esketamine_trd", "--age", "40", "--japanese-ancestry")
    assert first["allowed_mg"] == [28] and first["findings"][0]["code"] == "start_dose_unverified"
    mdsi = run_json("dose-steps", "--protocol", "esketamine_mdsi", "--age", "40")
    assert mdsi["allowed_mg"] == [84]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--previous", "50"), "--previous 50 mg is not a label dose; allowed: 28, 56, 84"),
        (
            ("--hepatic-impairment", "bad"),
            "--hepatic-impairment 'bad' is not one of: none, mild, moderate, severe",
        ),
        (("--age", "17"), "--age 17 is below 18"),
    ],
)
def test_bad_dose_step_input_exits_2_naming_the_option(run, assert_bad_input, args, fragment):
    base = ["dose-steps", "--protocol", "esketamine_trd", "--age", "45"]
    if args[0] == "--age":
        base = base[:3]
    assert_bad_input(run(*base, *args), "ketacare dose-steps: error:", fragment)


def test_the_plan_at_72_offers_28_or_56_mg_at_session_2(run_json):
    sessions = run_json(*PLAN, "--protocol", "esketamine_trd", "--age", "72")["sessions"]
    assert sessions[1]["dose_rule"].startswith("28 mg or 56 mg (")


def test_twelve_daily_iv_infusions_need_a_prescriber_reason(run_json):
    days = [arg for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for arg in ("--weekday", day)]
    args = (*PLAN, "--protocol", "iv_ketamine", "--preset", "custom", "--sessions", "12", *days)
    (finding,) = run_json(*args)["findings"]
    assert list(finding) == [
        "code",
        "kind",
        "message",
        "sessions",
        "reason",
        "unresolved",
        "evidence",
        "sources",
    ]
    assert finding["code"] == "frequency_above_studied" and finding["unresolved"] is True
    (resolved,) = run_json(*args, "--prescriber-reason", "frequency_above_studied=Inpatient protocol")[
        "findings"
    ]
    assert resolved["unresolved"] is False and resolved["reason"] == "Inpatient protocol"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--prescriber-reason", "typo=x"), "--prescriber-reason for unknown finding 'typo'"),
        (("--prescriber-reason", "no-equals"), "--prescriber-reason 'no-equals' must be KEY=VALUE"),
        (("--hepatic-impairment", "worse"), "--hepatic-impairment 'worse' is not one of"),
    ],
)
def test_bad_plan_options_exit_2_naming_the_option(run, assert_bad_input, args, fragment):
    assert_bad_input(
        run(*PLAN, "--protocol", "esketamine_trd", "--age", "45", *args), "ketacare plan: error:", fragment
    )


def test_severe_liver_impairment_is_a_finding_and_mdsi_is_a_protocol(run_json):
    data = run_json(*PLAN, "--protocol", "esketamine_trd", "--age", "45", "--hepatic-impairment", "severe")
    assert [f["code"] for f in data["findings"]] == ["hepatic_severe_not_recommended"]
    mdsi = run_json(*PLAN, "--protocol", "esketamine_mdsi", "--age", "45")
    assert len(mdsi["sessions"]) == 8 and mdsi["sessions"][0]["dose_mg"] == 84


def test_the_im_protocol_plans_and_lists_its_observation_time(run_json):
    data = run_json(
        *PLAN, "--protocol", "im_ketamine", "--weekday", "mon", "--sessions", "4", "--weight-kg", "70"
    )
    assert [s["dose_mg"] for s in data["sessions"]] == [35.0] * 4
    items = {item["id"]: item for item in run_json("knowledge", "list", "protocols")["items"]}
    im = items["im_ketamine"]
    assert (im["route"], im["observation_min_minutes"], im["observation_default_minutes"]) == ("im", 30, 60)
    assert im["max_sessions_per_7_days"] == 3 and items["iv_ketamine"]["max_sessions_per_7_days"] == 3


def test_triage_accepts_im_and_a_bad_im_dose_exits_2(run_json, run, assert_bad_input):
    assert (
        run_json("triage", "--symptom", "dissociation", "--route", "im", "--minutes-since", "20")["level"]
        == "expected"
    )
    result = run(*PLAN, "--protocol", "im_ketamine", "--weekday", "mon", "--sessions", "1", "--weight-kg", "70",
                 "--mg-per-kg", "0.8")  # fmt: skip
    assert_bad_input(result, "mg_per_kg 0.8 is out of range for protocol 'im_ketamine'; expected 0.1-0.5")


# --- cumulative dose and the periodic checks -------------------------------------------------------------


def test_cumulative_dose_counts_the_windows(run_json):
    data = run_json(
        "cumulative-dose", "--now", "2026-06-01T12:00+00:00",
        "--dose", "2026-05-30T09:00+00:00=84", "--dose", "2026-04-01T09:00+00:00=56",
        "--dose", "2025-01-01T09:00+00:00=56", "--limit-mg", "30=50",
    )  # fmt: skip
    assert list(data) == [
        "now",
        "windows",
        "lifetime_sessions",
        "lifetime_mg",
        "first_dose_at",
        "last_dose_at",
        "flags",
    ]
    assert [(w["days"], w["sessions"], w["total_mg"]) for w in data["windows"]] == [
        (30, 1, 84.0),
        (90, 2, 140.0),
        (365, 2, 140.0),
    ]
    assert data["lifetime_mg"] == 196.0 and data["flags"][0]["days"] == 30


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("--now", "2026-06-01T12:00"),
            "--now '2026-06-01T12:00' must be an ISO 8601 time with its UTC offset",
        ),
        (("--now", "2026-06-01T12:00+00:00", "--dose", "2026-05-01T09:00+00:00"), "must be TIME=MG"),
        (
            ("--now", "2026-06-01T12:00+00:00", "--dose", "2026-05-01T09:00+00:00=-5"),
            "--dose mg -5 is out of range",
        ),
        (
            ("--now", "2026-06-01T12:00+00:00", "--limit-mg", "7=100"),
            "--limit-mg: window 7 days is not one of 30, 90, 365",
        ),
    ],
)
def test_bad_cumulative_dose_input_exits_2(run, assert_bad_input, args, fragment):
    assert_bad_input(run("cumulative-dose", *args), "ketacare cumulative-dose: error:", fragment)


def test_a_positive_bladder_check_pauses_the_next_dose(run_json):
    # Blood in the urine: urgent review for ketamine cystitis [KIC-Review].
    data = run_json("vigilance-check", "luts_check", "0", "0", "0", "1")
    assert data["alert"] is True and data["level"] == "urgent" and data["hold_next_dose"] is True
    misuse = run_json("vigilance-check", "misuse_check", "1", "0", "0")
    assert misuse["red_flag_id"] == "craving_or_misuse" and misuse["hold_next_dose"] is False


def test_a_bad_check_exits_2(run, assert_bad_input):
    assert_bad_input(
        run("vigilance-check", "bladder", "0"), "unknown check 'bladder'; allowed: luts_check, misuse_check"
    )
