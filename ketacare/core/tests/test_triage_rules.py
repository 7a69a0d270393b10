"""Triage combines reports, applies severity and timing rules, and rejects bad input clearly."""

from __future__ import annotations

import math

import pytest

from ketacare.core.knowledge import Level, get_side_effect
from ketacare.core.triage import SymptomReport, TriageError, describe_minutes, triage


def level(*reports: SymptomReport, route: str = "iv", minutes: float = 30) -> Level:
    return triage(list(reports), route=route, minutes_since_dose=minutes).level


def test_the_highest_level_of_several_reports_wins() -> None:
    reports = [SymptomReport("nausea"), SymptomReport("urinary_symptoms"), SymptomReport("chest_pain")]
    assert level(*reports) is Level.EMERGENCY
    assert level(*reversed(reports)) is Level.EMERGENCY
    assert level(SymptomReport("nausea"), SymptomReport("urinary_symptoms")) is Level.URGENT


def test_the_overall_message_comes_from_the_highest_report() -> None:
    result = triage(
        [SymptomReport("nausea"), SymptomReport("suicidal_thoughts_without_plan")],
        route="iv",
        minutes_since_dose=30,
    )
    assert result.patient_message == result.details[1].patient_message
    assert "suicide" in result.patient_message


def test_no_reports_is_expected() -> None:
    result = triage([], route="iv", minutes_since_dose=30)
    assert result.level is Level.EXPECTED and result.details == ()


def test_mild_and_moderate_do_not_change_the_level() -> None:
    for severity in ("mild", "moderate"):
        assert level(SymptomReport("nausea", severity)) is Level.EXPECTED  # type: ignore[arg-type]


def test_a_severe_expected_effect_goes_to_the_clinic() -> None:
    # "Longer than expected" is about duration, so a severe effect inside its window skips it.
    result = triage([SymptomReport("nausea", "severe")], route="iv", minutes_since_dose=30)
    assert result.level is Level.CONTACT_CLINIC
    assert "clinic-practice" in result.details[0].sources
    assert any("severe" in rule for rule in result.details[0].rules)


def test_a_severe_effect_lasting_longer_than_expected_goes_to_the_clinic() -> None:
    threshold = get_side_effect("nausea").course("iv").longer_than_expected_after_min
    assert level(SymptomReport("nausea"), minutes=threshold + 1) is Level.LONGER_THAN_EXPECTED
    assert level(SymptomReport("nausea", "severe"), minutes=threshold + 1) is Level.CONTACT_CLINIC


def test_a_severe_effect_past_the_persistence_limit_is_urgent() -> None:
    assert level(SymptomReport("fatigue"), minutes=5000) is Level.CONTACT_CLINIC
    assert level(SymptomReport("fatigue", "severe"), minutes=5000) is Level.URGENT


def test_hallucinations_past_their_window_become_the_red_flag() -> None:
    course = get_side_effect("perceptual_changes").course("esketamine_in")
    within = triage([SymptomReport("perceptual_changes")], route="esketamine_in", minutes_since_dose=60)
    past = triage(
        [SymptomReport("perceptual_changes")],
        route="esketamine_in",
        minutes_since_dose=course.longer_than_expected_after_min + 1,
    )
    assert within.level is Level.EXPECTED and within.red_flag_ids == ()
    assert past.level is Level.URGENT
    assert past.red_flag_ids == ("hallucinations_agitation_past_window",)
    assert past.patient_message.startswith("Hallucinations or agitation")


def test_a_severe_hallucination_past_its_window_is_an_emergency() -> None:
    assert level(SymptomReport("perceptual_changes", "severe"), minutes=600) is Level.EMERGENCY


def test_blood_pressure_that_stays_high_past_its_window_becomes_the_red_flag() -> None:
    result = triage([SymptomReport("raised_blood_pressure")], route="esketamine_in", minutes_since_dose=241)
    assert result.level is Level.URGENT
    assert result.red_flag_ids == ("persistent_high_blood_pressure",)
    assert "JNJ-CV" in result.details[0].sources


def test_an_effect_that_starts_after_its_window_is_judged_as_new_not_expected() -> None:
    # A symptom that starts after its window has ended is a new symptom: contact the clinic
    # (safety_net.toml [late_onset], clinic practice; decision 0012). It used to be "longer than
    # expected" here, a duration answer for something that had only just begun.
    threshold = get_side_effect("dizziness").course("iv").longer_than_expected_after_min
    on_time = SymptomReport("dizziness", onset_min=10)
    late = SymptomReport("dizziness", onset_min=threshold + 10)
    assert level(on_time, minutes=threshold) is Level.EXPECTED
    assert level(late, minutes=threshold + 10) is Level.CONTACT_CLINIC


def test_the_result_explains_its_rules_and_echoes_its_inputs() -> None:
    result = triage([SymptomReport("nausea")], route="oral", minutes_since_dose=1000)
    assert result.route == "oral" and result.minutes_since_dose == 1000
    assert any("longer than expected" in rule for rule in result.details[0].rules)


def test_an_unknown_symptom_id_is_an_error_listing_the_allowed_ids() -> None:
    with pytest.raises(TriageError) as caught:
        triage([SymptomReport("hiccups")], route="iv", minutes_since_dose=30)
    message = str(caught.value)
    assert "'hiccups'" in message and "nausea" in message and "chest_pain" in message


def test_an_unknown_route_is_an_error_listing_the_routes() -> None:
    with pytest.raises(
        TriageError, match=r"unknown route 'nasal'; allowed: iv, esketamine_in, oral, sublingual, im"
    ):
        triage([SymptomReport("nausea")], route="nasal", minutes_since_dose=30)


@pytest.mark.parametrize("minutes", [-1, -0.001, math.nan, math.inf, True])
def test_an_impossible_time_since_the_dose_is_an_error(minutes: float) -> None:
    with pytest.raises(TriageError, match=r"minutes_since_dose must be a finite number of minutes >= 0"):
        triage([SymptomReport("nausea")], route="iv", minutes_since_dose=minutes)


def test_an_unknown_severity_is_an_error() -> None:
    with pytest.raises(TriageError, match=r"unknown severity 'awful'.*allowed: mild, moderate, severe"):
        triage([SymptomReport("nausea", "awful")], route="iv", minutes_since_dose=30)  # type: ignore[arg-type]


def test_an_onset_after_now_or_before_the_dose_is_an_error() -> None:
    with pytest.raises(TriageError, match=r"onset_min 40 of 'nausea' is after minutes_since_dose 30"):
        triage([SymptomReport("nausea", onset_min=40)], route="iv", minutes_since_dose=30)
    with pytest.raises(TriageError, match=r"onset_min of 'nausea' must be a finite number"):
        triage([SymptomReport("nausea", onset_min=-5)], route="iv", minutes_since_dose=30)


def test_triage_errors_are_value_errors() -> None:
    assert issubclass(TriageError, ValueError)


def test_a_bare_string_is_not_mistaken_for_a_list_of_reports() -> None:
    with pytest.raises(TriageError, match="sequence of SymptomReport"):
        triage("nausea", route="iv", minutes_since_dose=30)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "1 minute"),
        (40, "40 minutes"),
        (90, "1.5 hours"),
        (120, "2 hours"),
        (130, "2 hours"),
        (1440, "24 hours"),
        (4320, "3 days"),
    ],
)
def test_durations_are_described_in_plain_words(minutes: float, text: str) -> None:
    assert describe_minutes(minutes) == text
