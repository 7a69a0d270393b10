"""Course signals: loss of response and worsening, the maintenance suggestion, induction drop-out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.core.course import (
    ScorePoint,
    SessionRecord,
    flag_induction_dropout,
    relapse_signals,
    suggest_maintenance_interval,
)
from ketacare.core.instruments import classify_change
from ketacare.core.protocols import get_protocol

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)


def series(*scores):
    return [ScorePoint(T0 + timedelta(days=7 * i), score) for i, score in enumerate(scores)]


# --- relapse signals --------------------------------------------------------------------------------


def test_phq9_20_to_10_is_a_response_by_the_instruments_rule():
    # The signal rule reuses classify_change: 50% drop from baseline [PsychServ2020].
    assert classify_change("phq9", 20, 10) == "response"
    assert classify_change("phq9", 20, 11) != "response"


def test_two_consecutive_scores_back_above_half_of_baseline_after_a_response_raise_loss_of_response():
    points = series(9, 8, 12, 14)
    signals = relapse_signals("phq9", 20, points)
    assert [s.code for s in signals] == ["loss_of_response"]
    assert signals[0].measured_at == points[3].measured_at
    assert signals[0].sources == ("clinic-practice",) and signals[0].evidence == "practice"


def test_one_bad_measurement_after_a_response_is_not_a_signal():
    assert relapse_signals("phq9", 20, series(9, 12, 8, 13, 9)) == []


def test_no_response_ever_means_no_loss_of_response():
    assert relapse_signals("phq9", 20, series(18, 17, 16, 15)) == []


def test_a_loss_is_raised_once_per_run_and_again_after_a_new_response():
    signals = relapse_signals("phq9", 20, series(8, 13, 14, 15, 16, 7, 12, 13))
    assert [s.code for s in signals] == ["loss_of_response", "loss_of_response"]


def test_two_consecutive_scores_worse_than_baseline_raise_worsening():
    worse = next(score for score in range(11, 28) if classify_change("phq9", 10, score) == "worsening")
    signals = relapse_signals("phq9", 10, series(10, worse, worse))
    assert [s.code for s in signals] == ["worsening"]


def test_the_series_is_read_in_time_order_whatever_the_input_order():
    points = series(9, 8, 12, 14)
    assert relapse_signals("phq9", 20, list(reversed(points))) == relapse_signals("phq9", 20, points)


def test_a_naive_measurement_time_is_rejected():
    with pytest.raises(ValueError, match="measured_at .* is naive"):
        relapse_signals("phq9", 20, [ScorePoint(datetime(2026, 3, 2), 9)])  # noqa: DTZ001


def test_a_score_outside_the_instrument_range_is_rejected():
    with pytest.raises(ValueError, match="outside the phq9 range 0-27"):
        relapse_signals("phq9", 20, series(30))


# --- maintenance suggestion -------------------------------------------------------------------------


def test_benefit_lasting_the_median_18_days_suggests_every_two_weeks_for_iv():
    median_days = get_protocol("iv_ketamine").outcome("median_days_to_relapse_after_series").value
    suggestion = suggest_maintenance_interval(
        "iv_ketamine", current_interval_weeks=4, benefit_lasted_days=median_days
    )
    assert (suggestion.interval_weeks, suggestion.change, suggestion.review) == (2, "shorten", False)
    assert suggestion.evidence == "practice" and "clinic-practice" in suggestion.sources
    assert "Andrade2017" in suggestion.sources


def test_the_next_session_comes_before_the_benefit_wears_off_not_on_the_day():
    suggestion = suggest_maintenance_interval("iv_ketamine", current_interval_weeks=4, benefit_lasted_days=14)
    assert suggestion.interval_weeks == 1


def test_a_response_that_held_suggests_the_next_longer_interval():
    suggestion = suggest_maintenance_interval(
        "esketamine_trd", current_interval_weeks=1, benefit_lasted_days=None
    )
    assert (suggestion.interval_weeks, suggestion.change) == (2, "lengthen")
    assert "lowest frequency" in suggestion.reason


def test_a_response_that_held_at_the_longest_interval_keeps_it():
    suggestion = suggest_maintenance_interval(
        "esketamine_trd", current_interval_weeks=2, benefit_lasted_days=None
    )
    assert (suggestion.interval_weeks, suggestion.change) == (2, "keep")


def test_benefit_shorter_than_the_shortest_interval_asks_for_a_review():
    suggestion = suggest_maintenance_interval("iv_ketamine", current_interval_weeks=2, benefit_lasted_days=5)
    assert (suggestion.interval_weeks, suggestion.change, suggestion.review) == (1, "shorten", True)


def test_benefit_longer_than_the_current_interval_keeps_it():
    suggestion = suggest_maintenance_interval("iv_ketamine", current_interval_weeks=1, benefit_lasted_days=30)
    assert (suggestion.interval_weeks, suggestion.change) == (1, "keep")


def test_an_interval_the_protocol_does_not_allow_is_rejected():
    with pytest.raises(
        ValueError,
        match="current_interval_weeks 4 is not allowed for protocol 'esketamine_trd'; expected one of: 1, 2",
    ):
        suggest_maintenance_interval("esketamine_trd", current_interval_weeks=4, benefit_lasted_days=None)


def test_an_impossible_benefit_duration_is_rejected():
    with pytest.raises(ValueError, match="benefit_lasted_days 0 is out of range"):
        suggest_maintenance_interval("iv_ketamine", current_interval_weeks=2, benefit_lasted_days=0)


def test_a_protocol_without_maintenance_has_no_suggestion():
    with pytest.raises(ValueError, match="protocol 'oral_ketamine' has no maintenance schedule"):
        suggest_maintenance_interval("oral_ketamine", current_interval_weeks=1, benefit_lasted_days=None)


# --- induction drop-out ------------------------------------------------------------------------------


def record(number, status, phase="induction"):
    return SessionRecord(
        number=number, phase=phase, starts_at=T0 + timedelta(days=2 * (number - 1)), status=status
    )


NOW = T0 + timedelta(days=30)


def test_a_course_with_every_session_attended_has_no_drop_out_flag():
    assert flag_induction_dropout([record(n, "attended") for n in range(1, 7)], now=NOW) is None


def test_one_missed_induction_session_asks_for_a_review():
    sessions = [record(1, "attended"), record(2, "missed"), record(3, "attended")]
    flag = flag_induction_dropout(sessions, now=NOW)
    assert flag is not None and flag.level == "review" and flag.missed_sessions == (2,)
    assert flag.evidence == "practice"


def test_the_last_two_induction_sessions_missed_or_cancelled_is_a_drop_out():
    sessions = [record(1, "attended"), record(2, "attended"), record(3, "cancelled"), record(4, "missed")]
    flag = flag_induction_dropout(sessions, now=NOW)
    assert flag is not None and flag.level == "dropout" and flag.missed_sessions == (3, 4)


def test_a_planned_session_left_unrecorded_past_the_grace_counts_as_missed():
    sessions = [record(1, "attended"), record(2, "planned")]
    flag = flag_induction_dropout(sessions, now=sessions[1].starts_at + timedelta(hours=25))
    assert flag is not None and flag.missed_sessions == (2,)
    assert flag_induction_dropout(sessions, now=sessions[1].starts_at + timedelta(hours=2)) is None


def test_future_and_maintenance_sessions_do_not_count():
    sessions = [record(1, "attended"), record(2, "planned"), record(9, "missed", phase="maintenance")]
    assert flag_induction_dropout(sessions, now=sessions[1].starts_at - timedelta(hours=1)) is None


def test_a_naive_now_is_rejected():
    with pytest.raises(ValueError, match="now .* is naive"):
        flag_induction_dropout([], now=datetime(2026, 3, 2))  # noqa: DTZ001


def test_an_unknown_session_status_is_rejected():
    with pytest.raises(
        ValueError, match="status 'no-show' is not one of: planned, attended, missed, cancelled"
    ):
        flag_induction_dropout([record(1, "no-show")], now=NOW)
