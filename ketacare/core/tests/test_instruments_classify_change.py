"""classify_change: remission, response, partial, no change and worsening, for both score directions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.core.instruments import classify_change, get_instrument, instruments


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (20, 4, "remission"),  # < 5 [PsychServ2020]
        (20, 10, "response"),  # exactly 50% [PsychServ2020]
        (20, 5, "response"),  # 75% but not < 5
        (20, 11, "partial"),  # 45%
        (20, 15, "partial"),  # exactly 25%
        (20, 16, "no_change"),  # 20%
        (20, 20, "no_change"),
        (10, 14, "no_change"),  # +4 points
        (10, 15, "worsening"),  # +5 points
        (5, 4, "remission"),  # from just above the threshold
        # A baseline already in the remission range (< 5) cannot remit: no baseline threshold made
        # 0 -> 4 a "remission" before the safety-net issue [PsychServ2020] (decision 0012).
        (3, 4, "no_change"),
        (0, 0, "no_change"),
        (0, 4, "no_change"),
        (2, 1, "no_change"),  # nor respond
        (0, 5, "worsening"),  # +5 points is still worsening
    ],
)
def test_phq9_changes_where_a_higher_score_is_worse(baseline, current, expected):
    assert classify_change("phq9", baseline, current) == expected


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (4, 7, "response"),  # closes 3 of the 6 points up to 10: 50%
        (4, 10, "response"),
        (4, 6, "partial"),  # 2 of 6: 33%
        (4, 5, "no_change"),  # 1 of 6: 17%
        (4, 3, "no_change"),  # falls 1 point
        (4, 2, "worsening"),  # falls 2 points
        (10, 10, "no_change"),  # already at the best score: nothing left to improve
        (10, 8, "worsening"),
    ],
)
def test_daily_mood_changes_where_a_higher_score_is_better(baseline, current, expected):
    assert get_instrument("daily_mood").higher_is_worse is False
    assert classify_change("daily_mood", baseline, current) == expected


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (50, 40, "response"),  # -10 points: clinically meaningful [PCL5-QxMD]
        (50, 45, "partial"),  # -5 points: reliable change
        (50, 46, "no_change"),
        (40, 45, "worsening"),  # +5 points: reliable change upwards
        (40, 44, "no_change"),
    ],
)
def test_pcl5_changes_are_judged_in_points(baseline, current, expected):
    assert classify_change("pcl5", baseline, current) == expected


def test_pain_uses_the_immpact_thirty_and_fifty_percent_thresholds():
    assert classify_change("pain_nrs", 10, 7) == "partial"  # exactly 30%
    assert classify_change("pain_nrs", 10, 8) == "no_change"  # 20%
    assert classify_change("pain_nrs", 10, 5) == "response"  # exactly 50%
    assert classify_change("bpi_sf", 7.0, 4.9) == "partial"  # exactly 30% of a fractional score


def test_ybocs_response_is_a_35_percent_fall_and_madrs_remission_is_10_or_less():
    assert classify_change("ybocs", 20, 13) == "response"  # 35%
    assert classify_change("ybocs", 20, 14) == "partial"  # 30%
    assert classify_change("madrs", 40, 10) == "remission"
    assert classify_change("madrs", 40, 20) == "response"


def test_instruments_that_grade_a_state_have_no_change_rule():
    for instrument_id in ("moaas", "cssrs_screener"):
        with pytest.raises(ValueError, match=f"{instrument_id} has no response or remission rule"):
            classify_change(instrument_id, 3, 2)


def test_a_score_outside_the_range_or_not_a_number_is_refused_naming_the_range():
    with pytest.raises(ValueError, match=r"baseline score 28 is outside the phq9 range 0-27"):
        classify_change("phq9", 28, 10)
    with pytest.raises(ValueError, match=r"current score -1 is outside"):
        classify_change("phq9", 10, -1)
    for bad in (float("nan"), True, "10"):
        with pytest.raises(ValueError, match="must be a finite number"):
            classify_change("phq9", bad, 10)


@pytest.mark.parametrize("instrument", [i for i in instruments() if i.has_change_rules], ids=lambda i: i.id)
@given(data=st.data())
def test_improvement_never_classifies_worse_than_no_change_and_a_big_enough_rise_is_worsening(
    instrument, data
):
    low, high = instrument.min_score, instrument.max_score
    baseline = data.draw(st.integers(int(low), int(high)))
    current = data.draw(st.integers(int(low), int(high)))
    result = classify_change(instrument.id, baseline, current)
    improved = (baseline - current) if instrument.higher_is_worse else (current - baseline)
    if improved >= 0:
        assert result != "worsening"
    if -improved >= instrument.worsening_min_rise_points and result != "remission":
        assert result == "worsening"
    if result == "response":
        assert improved > 0


@pytest.mark.parametrize("instrument", [i for i in instruments() if i.has_change_rules], ids=lambda i: i.id)
def test_every_change_rule_cites_its_sources(instrument):
    assert instrument.response_sources and instrument.worsening_sources
    if instrument.partial_min_drop_fraction is not None or instrument.partial_min_drop_points is not None:
        assert instrument.partial_sources
    if instrument.remission_max_score is not None:
        assert instrument.remission_sources
