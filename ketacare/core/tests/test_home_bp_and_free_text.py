"""Home blood pressure as numbers (finding 1) and the patient's own words (finding 2), decision 0012.

Each test names the issue finding and the sources behind the rule (ids in sources.toml).
"""

from __future__ import annotations

import pytest

from ketacare.core.free_text import MAX_FREE_TEXT_CHARS, FreeTextError, screen_free_text
from ketacare.core.home_bp import (
    BpHoldLimits,
    HomeBloodPressure,
    HomeBpError,
    assess_home_bp,
    route_hold_limits,
)
from ketacare.core.knowledge import Level
from ketacare.core.triage import SymptomReport, TriageError, triage

# --- Finding 1: home blood pressure entered as numbers ---------------------------------------------------


def test_finding_1_a_crisis_reading_with_a_crisis_symptom_is_an_emergency() -> None:
    # Crisis: above 180/120 [HTN-Crisis]; with symptoms of organ damage an emergency [Yip2022];
    # symptoms of hypertensive crisis after esketamine: emergency care at once [JNJ-BP].
    reading = HomeBloodPressure(184, 104, 96)
    result = assess_home_bp(reading, route="esketamine_in", symptoms=[("chest_pain", "mild")])
    assert result.level is Level.EMERGENCY
    assert result.findings[0].code == "crisis_with_symptoms"
    assert {"HTN-Crisis", "JNJ-BP"} <= set(result.sources)
    assert "emergency number" in result.patient_message


def test_finding_1_a_severe_headache_is_a_crisis_sign_a_mild_one_is_not() -> None:
    reading = HomeBloodPressure(190, 100)
    assert assess_home_bp(reading, route="iv", symptoms=[("headache", "severe")]).level is Level.EMERGENCY
    assert assess_home_bp(reading, route="iv", symptoms=[("headache", "mild")]).level is Level.URGENT


@pytest.mark.parametrize(("systolic", "diastolic"), [(180, 100), (170, 120), (220, 130)])
def test_finding_1_a_crisis_reading_without_symptoms_is_urgent(systolic: float, diastolic: float) -> None:
    # Without symptoms: an urgency [HTN-Crisis] [Yip2022]; seek prompt help [JNJ-CV]. 180 and 120 themselves
    # count (a clinic-practice margin of 1 mmHg for rounded home readings).
    result = assess_home_bp(HomeBloodPressure(systolic, diastolic), route="esketamine_in")
    assert result.level is Level.URGENT
    assert result.findings[0].code == "crisis"


def test_finding_1_above_the_hold_threshold_goes_to_the_clinic() -> None:
    # The esketamine pre-dose guide 140/90 [JNJ-BP]; over 65 the trials held above 150 systolic [JNJ-CV].
    result = assess_home_bp(HomeBloodPressure(150, 85), route="esketamine_in", age_years=45)
    assert result.level is Level.CONTACT_CLINIC
    assert [f.code for f in result.findings] == ["above_hold_systolic"]
    assert result.hold_limits == BpHoldLimits(140, 90) and result.hold_limits_from == "route"
    assert (
        assess_home_bp(HomeBloodPressure(148, 85), route="esketamine_in", age_years=70).level
        is Level.EXPECTED
    )
    assert assess_home_bp(HomeBloodPressure(138, 92), route="iv").level is Level.CONTACT_CLINIC


def test_finding_1_the_clinic_may_set_its_own_hold_threshold() -> None:
    limits = BpHoldLimits(160, 100)
    result = assess_home_bp(HomeBloodPressure(150, 95), route="esketamine_in", hold_limits=limits)
    assert result.level is Level.EXPECTED and result.hold_limits_from == "clinic"
    assert (
        assess_home_bp(HomeBloodPressure(165, 95), route="iv", hold_limits=limits).level
        is Level.CONTACT_CLINIC
    )


def test_finding_1_low_pressure_and_a_fast_or_slow_pulse_go_to_the_clinic() -> None:
    # The in-session warnings of protocols.toml (clinic practice): systolic < 90, pulse > 120 or < 50.
    assert assess_home_bp(HomeBloodPressure(85, 55), route="iv").findings[0].code == "low_systolic"
    assert assess_home_bp(HomeBloodPressure(120, 80, 130), route="iv").findings[0].code == "pulse_high"
    assert assess_home_bp(HomeBloodPressure(120, 80, 45), route="iv").findings[0].code == "pulse_low"
    normal = assess_home_bp(HomeBloodPressure(122, 78, 70), route="im")
    assert normal.level is Level.EXPECTED and normal.findings == ()


def test_finding_1_triage_takes_the_reading_and_never_lowers_the_symptoms() -> None:
    # A severe headache at the peak with a crisis reading: emergency [JNJ-BP].
    result = triage(
        [SymptomReport("headache", "severe")],
        route="esketamine_in",
        minutes_since_dose=60,
        home_bp=HomeBloodPressure(186, 110),
    )
    assert result.level is Level.EMERGENCY
    assert result.home_bp is not None and result.home_bp.level is Level.EMERGENCY
    # A normal reading does not lower a red flag.
    calm = triage(
        [SymptomReport("chest_pain")], route="iv", minutes_since_dose=60, home_bp=HomeBloodPressure(120, 80)
    )
    assert calm.level is Level.EMERGENCY and calm.patient_message.startswith("Chest pain")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"systolic_mmhg": 400, "diastolic_mmhg": 80}, r"systolic_mmhg 400 is out of range 50-300"),
        ({"systolic_mmhg": 120, "diastolic_mmhg": 10}, r"diastolic_mmhg 10 is out of range 20-200"),
        (
            {"systolic_mmhg": 120, "diastolic_mmhg": 80, "pulse_bpm": 300},
            r"pulse_bpm 300 is out of range 20-250",
        ),
        ({"systolic_mmhg": 80, "diastolic_mmhg": 90}, r"diastolic_mmhg 90 must be below systolic_mmhg 80"),
    ],
)
def test_a_reading_outside_the_physiological_range_is_refused_naming_the_range(kwargs, message) -> None:
    with pytest.raises(HomeBpError, match=message):
        HomeBloodPressure(**kwargs)


def test_every_route_has_hold_thresholds_for_home_readings() -> None:
    for route in ("iv", "esketamine_in", "oral", "sublingual", "im"):
        assert route_hold_limits(route) == BpHoldLimits(140, 90)


# --- Finding 2: "something else" in the patient's own words ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "red_flag", "level"),
    [
        ("I can't breathe properly", "difficulty_breathing", Level.EMERGENCY),
        ("sudden CHEST PAIN after lunch", "chest_pain", Level.EMERGENCY),
        ("my wife says I fainted in the kitchen", "unrousable_or_fainting", Level.EMERGENCY),
        ("I want to kill myself", "suicidal_thoughts_with_plan", Level.EMERGENCY),
        ("feeling suicidal tonight", "suicidal_thoughts_without_plan", Level.URGENT),
        # How people say it without the word "suicide" (a journal entry a walkthrough wrote).
        (
            "Sometimes I think everyone would be better off without me",
            "suicidal_thoughts_without_plan",
            Level.URGENT,
        ),
        ("I don't want to live like this", "suicidal_thoughts_without_plan", Level.URGENT),
        ("there is no reason to live any more", "suicidal_thoughts_without_plan", Level.URGENT),
    ],
)
def test_finding_2_obvious_emergencies_in_free_text_take_the_red_flag_path(text, red_flag, level) -> None:
    # The red flags' own sources: [JNJ-BP] [Nervana] (chest pain, breathing, consciousness), [CSSRS] (suicide).
    screen = screen_free_text(text)
    assert screen.outcome == "red_flag" and red_flag in screen.red_flag_ids
    result = triage([], route="iv", minutes_since_dose=600, other_text=text)
    assert result.level is level
    assert red_flag in result.red_flag_ids
    detail = next(d for d in result.details if d.red_flag_id == red_flag)
    assert detail.matched_text and "clinic-practice" not in detail.sources


def test_finding_2_anything_else_is_a_review_with_if_in_doubt_call() -> None:
    # Before the safety net, free text was never triaged at all.
    result = triage(
        [], route="iv", minutes_since_dose=600, other_text="a strange metallic taste and itchy arms"
    )
    assert result.review_required
    assert result.level is Level.CONTACT_CLINIC
    assert "If in doubt, call your clinic" in result.patient_message
    assert result.free_text is not None and "clinic-practice" in result.free_text.sources


def test_finding_2_a_denial_goes_to_review_not_to_the_emergency_number() -> None:
    screen = screen_free_text("No chest pain, I don't have trouble breathing, just tired")
    assert screen.outcome == "review"
    assert set(screen.negated) == {"chest pain", "trouble breathing"}
    assert "emergency number now" in screen.patient_message  # still: if it feels like an emergency


@pytest.mark.parametrize("text", ["", "   ", "no", "Nothing.", "nothing else", "N/A"])
def test_finding_2_nothing_needs_no_review(text: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "none" and not screen.review_required


def test_finding_2_the_words_count_as_reported_red_flags_for_the_combination_rules() -> None:
    # A severe headache at the blood-pressure peak with "slurred speech" in the words: emergency [JNJ-BP].
    result = triage(
        [SymptomReport("headache", "severe")],
        route="esketamine_in",
        minutes_since_dose=40,
        other_text="my speech is slurred, slurred speech since 10 minutes",
    )
    assert result.details[0].level is Level.EMERGENCY
    assert "hypertensive_crisis_signs" in result.red_flag_ids


def test_bad_free_text_and_readings_are_triage_errors() -> None:
    with pytest.raises(FreeTextError, match=f"at most {MAX_FREE_TEXT_CHARS}"):
        screen_free_text("x" * (MAX_FREE_TEXT_CHARS + 1))
    with pytest.raises(TriageError, match="bp_hold_limits given without a home_bp reading"):
        triage([], route="iv", minutes_since_dose=10, bp_hold_limits=BpHoldLimits(150, 95))
