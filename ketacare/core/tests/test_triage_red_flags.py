"""A red flag never falls below its level, whatever the route or the time since the dose."""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import ROUTES, Level, RedFlag, red_flags
from ketacare.core.triage import SymptomReport, triage

TIMES_MIN = (0, 30, 240, 1440, 10080)  # at the dose, mid-session, same day, next day, a week later

CASES = [pytest.param(flag, route, id=f"{flag.id}-{route}") for flag in red_flags() for route in ROUTES]


@pytest.mark.parametrize(("flag", "route"), CASES)
@pytest.mark.parametrize("severity", ["mild", "moderate"])
def test_a_red_flag_keeps_its_level_at_any_time_after_the_dose(
    flag: RedFlag, route: str, severity: str
) -> None:
    for minutes in TIMES_MIN:
        result = triage([SymptomReport(flag.id, severity)], route=route, minutes_since_dose=minutes)  # type: ignore[arg-type]
        assert result.level is flag.level, minutes
        assert result.red_flag_ids == (flag.id,)
        assert result.patient_message == flag.patient_message


@pytest.mark.parametrize("flag", red_flags(), ids=lambda flag: flag.id)
def test_a_severe_red_flag_is_raised_one_level_up_to_emergency(flag: RedFlag) -> None:
    for minutes in TIMES_MIN:
        result = triage([SymptomReport(flag.id, "severe")], route="iv", minutes_since_dose=minutes)
        assert result.level is flag.level.raised()
        assert result.level >= flag.level


@pytest.mark.parametrize("flag", red_flags(), ids=lambda flag: flag.id)
def test_an_expected_effect_reported_alongside_never_lowers_a_red_flag(flag: RedFlag) -> None:
    reports = [SymptomReport("nausea"), SymptomReport(flag.id), SymptomReport("headache")]
    assert triage(reports, route="esketamine_in", minutes_since_dose=30).level is flag.level


@pytest.mark.parametrize("flag", red_flags(), ids=lambda flag: flag.id)
def test_a_red_flag_detail_cites_its_sources_and_has_no_window(flag: RedFlag) -> None:
    detail = triage([SymptomReport(flag.id)], route="oral", minutes_since_dose=60).details[0]
    assert detail.kind == "red_flag" and detail.entry_id == flag.id
    assert detail.sources == flag.sources
    assert detail.expected_window is None and detail.longer_than_expected_after_min is None


def test_emergency_messages_tell_the_patient_to_call_the_emergency_number() -> None:
    for flag in red_flags():
        if flag.level is Level.EMERGENCY:
            assert "emergency number" in flag.patient_message, flag.id
