"""Wilson score intervals, checked against hand arithmetic, closed forms and scipy."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from ketacare.core.stats import Z_95, wilson_interval


def test_the_95_percent_quantile_is_the_textbook_value() -> None:
    assert Z_95 == pytest.approx(1.959963984540054, abs=1e-12)


def test_three_of_ten_matches_the_hand_computation() -> None:
    # p = 0.3, z^2 = 3.841459, z^2/n = 0.3841459, denominator 1.3841459
    # centre = (0.3 + 0.1920729) / 1.3841459 = 0.4920729 / 1.3841459 = 0.3555066
    # half   = 1.959964 / 1.3841459 * sqrt(0.3*0.7/10 + 3.841459/400)
    #        = 1.4160097 * sqrt(0.021 + 0.0096036) = 1.4160097 * 0.1749390 = 0.2477153
    result = wilson_interval(3, 10)
    assert result.estimate == 0.3
    assert result.low == pytest.approx(0.3555066 - 0.2477153, abs=2e-7)  # 0.1077913
    assert result.high == pytest.approx(0.3555066 + 0.2477153, abs=2e-7)  # 0.6032219


def test_zero_successes_has_the_closed_form_upper_bound() -> None:
    # k = 0: low = 0 exactly, high = z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533
    result = wilson_interval(0, 10)
    assert result.low == 0.0
    assert result.high == pytest.approx(Z_95**2 / (10 + Z_95**2), rel=1e-12)
    assert result.high == pytest.approx(0.277533, abs=1e-6)


def test_all_successes_has_the_closed_form_lower_bound() -> None:
    # k = n: high = 1 exactly, low = n / (n + z^2) = 10 / 13.841459 = 0.722467
    result = wilson_interval(10, 10)
    assert result.high == 1.0
    assert result.low == pytest.approx(10 / (10 + Z_95**2), rel=1e-12)


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (1, 2), (7, 24), (17, 24), (52, 100), (999, 2665), (0, 5000)]
)
def test_it_agrees_with_scipy(k: int, n: int) -> None:
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    result = wilson_interval(k, n)
    assert result.low == pytest.approx(expected.low, abs=1e-12)
    assert result.high == pytest.approx(expected.high, abs=1e-12)


def test_other_confidence_levels_agree_with_scipy() -> None:
    expected = binomtest(5, 20).proportion_ci(confidence_level=0.9, method="wilson")
    result = wilson_interval(5, 20, confidence=0.9)
    assert (result.low, result.high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_the_interval_is_symmetric_under_swapping_successes_and_failures() -> None:
    a, b = wilson_interval(4, 15), wilson_interval(11, 15)
    assert a.low == pytest.approx(1 - b.high) and a.high == pytest.approx(1 - b.low)


def test_the_interval_narrows_as_the_cohort_grows() -> None:
    widths = [wilson_interval(n // 2, n).high - wilson_interval(n // 2, n).low for n in (10, 100, 1000)]
    assert widths[0] > widths[1] > widths[2]
    # Large n: the Wilson half-width tends to the Wald one, z * sqrt(p(1-p)/n).
    assert widths[2] / 2 == pytest.approx(Z_95 * math.sqrt(0.25 / 1000), rel=3e-3)


@pytest.mark.parametrize(
    ("k", "n", "message"),
    [(0, 0, "n must be at least 1"), (11, 10, "successes 11 is more than n 10"), (-1, 10, "successes must")],
)
def test_it_rejects_impossible_counts(k: int, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wilson_interval(k, n)
