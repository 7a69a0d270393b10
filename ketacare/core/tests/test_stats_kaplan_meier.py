"""Kaplan-Meier estimator, checked against a hand-computed cohort, closed forms and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import CensoredData, ecdf

from ketacare.core.stats import Z_95, kaplan_meier, kaplan_meier_from_counts, median, median_offsets

# Seven patients: relapse (1) or censored (0) at day t.
TIMES = [2, 3, 3, 5, 6, 8, 9]
EVENTS = [1, 1, 0, 1, 0, 1, 0]


def test_the_small_cohort_matches_the_hand_computation() -> None:
    km = kaplan_meier(TIMES, EVENTS)
    table = [(s.time, s.at_risk, s.events, s.censored) for s in km.steps]
    assert table == [(2, 7, 1, 0), (3, 6, 1, 1), (5, 4, 1, 0), (6, 3, 0, 1), (8, 2, 1, 0), (9, 1, 0, 1)]
    survival = [s.survival for s in km.steps]
    # t=2: 6/7; t=3: 6/7 * 5/6 = 5/7; t=5: 5/7 * 3/4 = 15/28; t=6: unchanged; t=8: 15/28 * 1/2 = 15/56
    assert survival == pytest.approx([6 / 7, 5 / 7, 15 / 28, 15 / 28, 15 / 56, 15 / 56], rel=1e-12)
    # Greenwood sums: 1/(7*6) = 1/42; + 1/(6*5) -> 2/35; + 1/(4*3) -> 59/420; + 1/(2*1) -> 269/420
    sums = [1 / 42, 2 / 35, 59 / 420, 59 / 420, 269 / 420, 269 / 420]
    for step, s, g in zip(km.steps, survival, sums, strict=True):
        assert step.std_err == pytest.approx(s * math.sqrt(g), rel=1e-12)
    assert km.steps[1].std_err == pytest.approx(0.170747, abs=1e-6)  # 5/7 * sqrt(2/35)
    # Median: the first time S <= 0.5 is day 8 (S(5) = 0.536 > 0.5).
    assert km.median == 8
    assert (km.n, km.events) == (7, 4)


def test_the_log_log_interval_matches_the_hand_formula() -> None:
    km = kaplan_meier(TIMES, EVENTS)
    s, g = 5 / 7, 2 / 35
    spread = Z_95 * math.sqrt(g) / abs(math.log(s))
    assert km.steps[1].low == pytest.approx(s ** math.exp(spread), rel=1e-12)
    assert km.steps[1].high == pytest.approx(s ** math.exp(-spread), rel=1e-12)


def test_it_agrees_with_scipy_on_survival_and_log_log_interval() -> None:
    rng = np.random.default_rng(20261121)
    times = rng.integers(1, 60, size=200).astype(float)
    events = rng.random(200) < 0.6
    km = kaplan_meier(times.tolist(), events.tolist())
    result = ecdf(CensoredData(uncensored=times[events], right=times[~events]))
    ci = result.sf.confidence_interval(0.95, method="log-log")
    # scipy evaluates the step function at every distinct time (events and censorings alike).
    assert [s.time for s in km.steps] == result.sf.quantiles.tolist()
    assert [s.survival for s in km.steps] == pytest.approx(result.sf.probabilities.tolist(), rel=1e-12)
    for step, low, high in zip(km.steps, ci.low.probabilities, ci.high.probabilities, strict=True):
        if 0 < step.survival < 1 and not math.isnan(low):
            assert step.low == pytest.approx(low, rel=1e-9)
            assert step.high == pytest.approx(high, rel=1e-9)


def test_without_censoring_it_is_one_minus_the_empirical_cdf() -> None:
    # Closed form: with no censoring S(t) = (number with time > t) / n.
    times = [1, 2, 2, 4, 7, 7, 7, 10]
    km = kaplan_meier(times, [1] * len(times))
    for step in km.steps:
        assert step.survival == pytest.approx(sum(t > step.time for t in times) / len(times), rel=1e-12)
    assert km.median == 4  # S(2) = 5/8, S(4) = 4/8 = 0.5
    assert km.steps[-1].survival == 0.0 and km.steps[-1].low == 0.0


def test_all_censored_keeps_survival_at_one_and_has_no_median() -> None:
    km = kaplan_meier([3, 5, 5, 9], [0, 0, 0, 0])
    assert [s.survival for s in km.steps] == [1.0, 1.0, 1.0]
    assert [s.at_risk for s in km.steps] == [4, 3, 1]
    assert km.median is None and km.events == 0
    assert all(s.low == s.high == 1.0 for s in km.steps)


def test_an_empty_cohort_has_no_steps() -> None:
    km = kaplan_meier([], [])
    assert km.steps == () and km.n == 0 and km.median is None


def test_grouped_counts_give_the_same_estimate_as_pairs() -> None:
    grouped = kaplan_meier_from_counts([9, 2, 3, 5, 6, 8], [0, 1, 1, 1, 0, 1], [1, 0, 1, 0, 1, 0])
    assert grouped == kaplan_meier(TIMES, EVENTS)
    assert grouped.survival_at(4) == pytest.approx(5 / 7) and grouped.survival_at(0) == 1.0


def test_it_rejects_negative_times_and_repeated_groups() -> None:
    with pytest.raises(ValueError, match="at least 0"):
        kaplan_meier([-1, 2], [1, 0])
    with pytest.raises(ValueError, match="appears twice"):
        kaplan_meier_from_counts([1, 1], [1, 0], [0, 1])


def test_median_of_odd_and_even_samples_and_the_database_offsets() -> None:
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5  # (2 + 3) / 2
    assert median([]) is None
    assert median_offsets(3) == (1,) and median_offsets(4) == (1, 2) and median_offsets(0) == ()
