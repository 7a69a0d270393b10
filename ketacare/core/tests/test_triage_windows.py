"""Every side effect after every route, just before and just after each threshold of its window."""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import ROUTES, Level, SideEffect, get_red_flag, persistence, side_effects
from ketacare.core.safety_net import safety_net
from ketacare.core.triage import SymptomReport, triage

EPSILON_MIN = 0.5  # "just before / just after" a threshold, in minutes

CASES = [
    pytest.param(effect, route, id=f"{effect.id}-{route}") for effect in side_effects() for route in ROUTES
]


def level_at(effect: SideEffect, route: str, minutes: float) -> Level:
    return triage([SymptomReport(effect.id)], route=route, minutes_since_dose=minutes).level


def level_past_window(effect: SideEffect) -> Level:
    """What an effect becomes just after its longer-than-expected threshold."""
    if effect.past_window_red_flag is not None:
        return get_red_flag(effect.past_window_red_flag).level
    return Level.LONGER_THAN_EXPECTED


@pytest.mark.parametrize(("effect", "route"), CASES)
def test_it_is_expected_throughout_its_window_and_up_to_its_threshold(effect: SideEffect, route: str) -> None:
    course = effect.course(route)
    window = course.window
    threshold = course.longer_than_expected_after_min
    times = {
        0.0,
        window.onset_min,
        window.peak_min,
        window.resolution_min,
        min(window.resolution_min + EPSILON_MIN, threshold),
        max(threshold - EPSILON_MIN, 0.0),
        threshold,
    }
    for minutes in sorted(times):
        assert level_at(effect, route, minutes) is Level.EXPECTED, minutes


@pytest.mark.parametrize(("effect", "route"), CASES)
def test_it_is_longer_than_expected_just_after_its_threshold(effect: SideEffect, route: str) -> None:
    threshold = effect.course(route).longer_than_expected_after_min
    assert level_at(effect, route, threshold + EPSILON_MIN) is level_past_window(effect)


def level_a_day_or_more_after(effect: SideEffect) -> Level:
    """What an effect past its threshold is from 24 h after the dose until the persistence limit.

    A psychoactive effect (dissociation, perceptual changes, drowsiness, euphoria) that has not worn off
    goes to the clinic by 24 h at the latest [PatientEd] [REMS-FDA] [HCP-Dose] (safety_net.toml
    [psychoactive], decision 0012); before that rule such an effect stayed "longer than expected" until
    72 h, the under-triage the safety-net issue reported.
    """
    if effect.id in safety_net().psychoactive.side_effects:
        return max(Level.CONTACT_CLINIC, level_past_window(effect))
    return level_past_window(effect)


@pytest.mark.parametrize(("effect", "route"), CASES)
def test_it_goes_to_the_clinic_just_after_the_persistence_limit(effect: SideEffect, route: str) -> None:
    limit = persistence().contact_clinic_after_min
    before = level_at(effect, route, limit - EPSILON_MIN)
    after = level_at(effect, route, limit + EPSILON_MIN)
    assert before is level_a_day_or_more_after(effect)
    assert after is max(Level.CONTACT_CLINIC, level_past_window(effect))


@pytest.mark.parametrize(("effect", "route"), CASES)
def test_the_details_carry_the_window_the_self_care_and_the_sources(effect: SideEffect, route: str) -> None:
    course = effect.course(route)
    detail = triage(
        [SymptomReport(effect.id)], route=route, minutes_since_dose=course.window.peak_min
    ).details[0]
    assert detail.kind == "side_effect" and detail.entry_id == effect.id
    assert detail.expected_window == course.window
    assert detail.longer_than_expected_after_min == course.longer_than_expected_after_min
    assert detail.self_care == effect.self_care
    assert set(effect.sources) | set(course.sources) <= set(detail.sources)
    assert detail.red_flag_id is None
    assert effect.name in detail.patient_message
