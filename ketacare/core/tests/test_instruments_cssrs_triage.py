"""C-SSRS screener triage: yes to 1-2 only is low risk, 3 moderate, 4, 5 or recent behaviour high."""

from __future__ import annotations

import itertools

import pytest

from ketacare.core.instruments import score

NONE, LOW, MODERATE, HIGH = 0, 1, 2, 3
LABELS = {NONE: "no risk identified", LOW: "low risk", MODERATE: "moderate risk", HIGH: "high risk"}
LEVEL_NAMES = {LOW: "low", MODERATE: "moderate", HIGH: "high"}


def expected_level(q1: int, q2: int, q3: int, q4: int, q5: int, q6: int) -> int:
    """The screener triage of brief §5a, written independently of the data file.

    q6: 0 no behaviour, 1 behaviour more than 3 months ago, 2 behaviour in the past 3 months.
    """
    if q4 or q5 or q6 == 2:
        return HIGH
    if q3 or q6 == 1:  # lifetime behaviour -> moderate is clinic practice (standard colour coding)
        return MODERATE
    if q1 or q2:
        return LOW
    return NONE


@pytest.mark.parametrize(
    "answers", list(itertools.product((0, 1), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1, 2)))
)
def test_every_combination_of_answers_gets_the_triage_level(answers):
    level = expected_level(*answers)
    result = score("cssrs_screener", answers)
    assert result.total == level
    assert result.band == LABELS[level]
    if level == NONE:
        assert result.alerts == ()
    else:
        (alert,) = result.alerts
        assert alert.code == "suicide_risk"
        assert alert.level == LEVEL_NAMES[level]


def test_yes_to_wish_to_be_dead_alone_is_low_risk():
    assert score("cssrs_screener", [1, 0, 0, 0, 0, 0]).band == "low risk"


def test_yes_to_thinking_about_a_method_is_moderate_risk():
    assert score("cssrs_screener", [1, 1, 1, 0, 0, 0]).band == "moderate risk"


def test_yes_to_intent_or_a_plan_is_high_risk():
    assert score("cssrs_screener", [1, 1, 0, 1, 0, 0]).band == "high risk"
    assert score("cssrs_screener", [1, 1, 0, 0, 1, 0]).band == "high risk"


def test_suicidal_behaviour_in_the_past_3_months_is_high_risk_even_with_no_ideation():
    result = score("cssrs_screener", [0, 0, 0, 0, 0, 2])
    assert result.band == "high risk"
    assert result.alerts[0].item_id == "cssrs_screener.q6"


def test_a_yes_that_skip_logic_should_have_skipped_is_still_counted():
    # Question 2 "no" means 4 should not have been asked; a recorded "yes" is never discarded.
    assert score("cssrs_screener", [0, 0, 0, 1, 0, 0]).band == "high risk"


def test_the_alert_names_the_first_item_that_reached_the_highest_level():
    (alert,) = score("cssrs_screener", [1, 1, 1, 1, 1, 2]).alerts
    assert (alert.item_id, alert.level) == ("cssrs_screener.q4", "high")
