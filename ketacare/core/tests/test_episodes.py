"""Episode durations on hand-built timelines, and the Turnbull estimator against a hand computation."""

from __future__ import annotations

import math

import pytest

from ketacare.core.episodes import (
    Episode,
    EpisodeError,
    Observation,
    duration,
    innermost_intervals,
    prompt_due,
    prompt_times,
    turnbull,
)

# Headache after IV in the knowledge base's shape: usually gone by 240 min, longer than expected after 360.
HEADACHE = {"expected_resolution_min": 240.0, "longer_after_min": 360.0}


def test_gone_by_omission_gives_an_interval_not_a_long_duration() -> None:
    # Reported at 60 min, the next check-in a day later (1,200 min) does not tick it.
    episode = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(1200, present=False, source="omission"),),
        **HEADACHE,
    )
    result = duration(episode)
    assert not result.open and result.closed_by == "omission"
    assert result.interval == (60, 1200)
    # The gap between check-ins is no evidence that it lasted long.
    assert result.longer_than_usual is False and result.seen_after_window is False


def test_seen_present_after_the_window_is_longer_than_usual() -> None:
    episode = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(400, present=True), Observation(900, present=False, source="prompt")),
        **HEADACHE,
    )
    result = duration(episode)
    assert result.seen_after_window and result.longer_than_usual
    assert result.interval == (400, 900) and result.closed_by == "patient"


def test_never_answered_stays_open_and_right_censored() -> None:
    episode = Episode(kind="side_effect", first_reported_min=60, observations=(), **HEADACHE)
    result = duration(episode)
    assert result.open and result.closed_by is None
    assert result.interval == (60, math.inf)
    assert result.longer_than_usual is False


def test_red_flag_never_closes_by_omission() -> None:
    # The urinary red flag not ticked 69 min later stays open.
    episode = Episode(
        kind="red_flag",
        first_reported_min=100,
        observations=(Observation(169, present=False, source="omission"),),
    )
    result = duration(episode)
    assert result.open and result.interval == (100, math.inf)
    closed = Episode(
        kind="red_flag",
        first_reported_min=100,
        observations=(
            Observation(169, present=False, source="omission"),
            Observation(2000, present=False, source="clinician"),
        ),
    )
    assert duration(closed).closed_by == "clinician" and duration(closed).interval == (100, 2000)


def test_patient_gone_at_about_is_kept_inside_what_was_observed() -> None:
    episode = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(
            Observation(200, present=True),
            Observation(600, present=False, source="prompt", reported_end_min=150),
        ),
        **HEADACHE,
    )
    # "gone at about 150" contradicts the sighting at 200: clamped to 200.
    assert duration(episode).interval == (200, 200)
    late = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(600, present=False, source="prompt", reported_end_min=420),),
        **HEADACHE,
    )
    assert duration(late).end_min == 420 and duration(late).longer_than_usual


def test_patient_says_longer() -> None:
    episode = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(120, present=True, says_longer=True),),
        **HEADACHE,
    )
    assert duration(episode).longer_than_usual and not duration(episode).seen_after_window


def test_prompts_at_the_end_of_the_window_and_again_later() -> None:
    episode = Episode(kind="side_effect", first_reported_min=60, **HEADACHE)
    assert prompt_times(episode) == (240, 360)
    assert prompt_due(episode, now_min=100) is None
    assert prompt_due(episode, now_min=250) == 240
    answered = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(250, present=True, source="prompt"),),
        **HEADACHE,
    )
    assert prompt_due(answered, now_min=300) is None
    assert prompt_due(answered, now_min=365) == 360
    gone = Episode(
        kind="side_effect",
        first_reported_min=60,
        observations=(Observation(250, present=False, source="prompt"),),
        **HEADACHE,
    )
    assert prompt_due(gone, now_min=400) is None
    assert prompt_times(Episode(kind="red_flag", first_reported_min=10)) == ()


def test_innermost_intervals_by_hand() -> None:
    assert innermost_intervals([(1, 2), (3, 4), (1, 4)]) == [(1, 2), (3, 4)]
    assert innermost_intervals([(0, 2), (1, 2), (3, 4), (3, math.inf)]) == [(1, 2), (3, 4)]


def test_turnbull_against_a_hand_computation() -> None:
    # Support {[1,2], [3,4]}; [1,4] covers both. Self-consistency with s1 + s2 = 1:
    # s1 = (2 + s1/(s1+s2)) / 4  ->  4 s1 = 2 + s1  ->  s1 = 2/3, s2 = 1/3.
    estimate = turnbull([(1, 2), (1, 2), (3, 4), (1, 4)])
    assert [(m.left, m.right) for m in estimate.masses] == [(1, 2), (3, 4)]
    assert estimate.masses[0].mass == pytest.approx(2 / 3, abs=1e-8)
    assert estimate.masses[1].mass == pytest.approx(1 / 3, abs=1e-8)
    assert estimate.survival_bounds(2.5) == pytest.approx((1 / 3, 1 / 3), abs=1e-8)
    assert estimate.survival_bounds(1.5) == pytest.approx((1 / 3, 1.0), abs=1e-8)
    assert estimate.median_bounds() == (1, 2)
    assert estimate.still_open == 0


def test_turnbull_right_censoring_and_share_open() -> None:
    # [5, inf] overlaps only the later support interval [6, 8]; the share still open is 1/4.
    estimate = turnbull([(0, 2), (1, 3), (6, 8), (5, math.inf)])
    assert [(m.left, m.right) for m in estimate.masses] == [(1, 2), (6, 8)]
    assert [m.mass for m in estimate.masses] == pytest.approx([0.5, 0.5], abs=1e-8)
    assert estimate.share_open == 0.25
    # Exact times are their own support points.
    exact = turnbull([(3, 3), (5, 5)])
    assert [(m.left, m.right, round(m.mass, 6)) for m in exact.masses] == [(3, 3, 0.5), (5, 5, 0.5)]


def test_turnbull_refuses_bad_intervals() -> None:
    with pytest.raises(EpisodeError, match="0 <= L <= R"):
        turnbull([(5, 1)])
    assert turnbull([]).n == 0


def test_turnbull_weights_equal_repeated_intervals() -> None:
    repeated = turnbull([(1, 2), (1, 2), (3, 4), (1, 4)])
    weighted = turnbull([(1, 2), (3, 4), (1, 4)], weights=[2, 1, 1])
    assert [m.mass for m in weighted.masses] == pytest.approx([m.mass for m in repeated.masses], abs=1e-8)
    assert weighted.n == 4
    with pytest.raises(EpisodeError, match="weights"):
        turnbull([(1, 2)], weights=[1, 2])
