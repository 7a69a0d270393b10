"""Long-term vigilance (finding 7) and remission from a symptomatic baseline only (finding 9), decision 0012.

Each test names the sources behind the rule (ids in sources.toml).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketacare.core.instruments import classify_change, get_instrument
from ketacare.core.knowledge import Level
from ketacare.core.vigilance import (
    VigilanceError,
    check_due,
    cumulative_exposure,
    evaluate_check,
    vigilance_rules,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- Cumulative exposure ----------------------------------------------------------------------------------


def test_finding_7_cumulative_dose_per_30_90_and_365_days() -> None:
    # Nothing watched cumulative exposure; the bladder risk of ketamine is linked to repeated use [KIC-Review].
    doses = [
        (ago(2), 84.0),
        (ago(9), 84.0),
        (ago(29.9), 56.0),
        (ago(30), 56.0),
        (ago(60), 56.0),
        (ago(200), 56.0),
        (ago(400), 56.0),
    ]
    exposure = cumulative_exposure(doses, now=NOW)
    assert [(w.days, w.sessions, w.total_mg) for w in exposure.windows] == [
        (30, 3, 224.0),  # a dose exactly 30 days ago is outside the 30-day window
        (90, 5, 336.0),
        (365, 6, 392.0),
    ]
    assert (exposure.lifetime_sessions, exposure.lifetime_mg) == (7, 448.0)
    assert exposure.first_dose_at == ago(400) and exposure.last_dose_at == ago(2)
    assert exposure.flags == ()


def test_finding_7_only_the_clinics_own_limits_raise_flags() -> None:
    # No source gives a limit for therapeutic use: KetaCare flags only limits the clinic sets.
    doses = [(ago(day), 56.0) for day in range(1, 30, 3)]  # 10 sessions, 560 mg in 30 days
    exposure = cumulative_exposure(doses, now=NOW, clinic_limits_mg={30: 500}, clinic_limits_sessions={30: 8})
    assert {(f.days, f.what) for f in exposure.flags} == {(30, "mg"), (30, "sessions")}
    assert "above the clinic's limit of 500 mg" in exposure.flags[0].message


@pytest.mark.parametrize(
    ("doses", "message"),
    [
        ([(NOW + timedelta(hours=1), 56.0)], "is after now"),
        ([(ago(1), 0)], r"dose 0 mg 0 is out of range; expected above 0 up to 1000"),
        ([(datetime(2026, 5, 1), 56.0)], "timezone-aware"),  # noqa: DTZ001 - naive on purpose
        ([(ago(1),)], r"must be a \(datetime, mg\) pair"),
    ],
)
def test_bad_doses_are_refused_naming_the_value(doses, message) -> None:
    with pytest.raises(VigilanceError, match=message):
        cumulative_exposure(doses, now=NOW)


def test_a_limit_for_a_window_that_is_not_computed_is_refused() -> None:
    with pytest.raises(VigilanceError, match=r"window 7 days is not one of 30, 90, 365"):
        cumulative_exposure([], now=NOW, clinic_limits_mg={7: 100})


# --- Bladder check ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", range(4))
def test_finding_7_any_positive_bladder_answer_alerts_and_pauses_the_next_dose(item: int) -> None:
    # Frequency, urgency, pain, blood in the urine: urgent review for ketamine cystitis; stopping ketamine
    # is the main treatment [KIC-Review] [KIC-Case].
    answers = [0, 0, 0, 0]
    answers[item] = 1
    outcome = evaluate_check("luts_check", answers)
    assert outcome.alert and outcome.hold_next_dose
    assert outcome.red_flag_id == "urinary_symptoms" and outcome.level is Level.URGENT
    assert outcome.alert_codes == ("bladder_symptoms",)
    assert "pause the next dose" in outcome.clinician_messages[0]
    assert {"KIC-Review", "KIC-Case"} <= set(outcome.sources)


def test_finding_7_a_clear_bladder_check_needs_nothing() -> None:
    outcome = evaluate_check("luts_check", [0, 0, 0, 0])
    assert not outcome.alert and not outcome.hold_next_dose and outcome.level is Level.EXPECTED
    assert get_instrument("luts_check").completed_by == "patient"


# --- Cravings and misuse --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "code"),
    [([1, 0, 0], "craving"), ([0, 1, 0], "non_prescribed_ketamine"), ([0, 0, 1], "non_prescribed_use")],
)
def test_finding_7_craving_or_non_prescribed_use_alerts_the_clinic(answers: list[int], code: str) -> None:
    # Monitor for signs of abuse and misuse [LabelText-8.6] [HCP-Dose].
    outcome = evaluate_check("misuse_check", answers)
    assert outcome.alert and outcome.alert_codes == (code,)
    assert outcome.red_flag_id == "craving_or_misuse" and outcome.level is Level.CONTACT_CLINIC
    assert not outcome.hold_next_dose
    assert "LabelText-8.6" in outcome.sources


# --- When the checks are due ------------------------------------------------------------------------------


def test_finding_7_checks_are_due_every_28_days_from_the_first_dose_or_the_last_check() -> None:
    # Ask about urinary symptoms at follow-up [KIC-Review]; every 4 weeks is clinic practice.
    for check_id in ("luts_check", "misuse_check"):
        rule = vigilance_rules().checks[check_id]
        assert rule.interval_days == 28 and "clinic-practice" in rule.sources
    never = check_due("luts_check", first_dose_at=ago(30), last_completed_at=None, now=NOW)
    assert never.due_now and never.due_at == ago(2)
    recent = check_due("misuse_check", first_dose_at=ago(100), last_completed_at=ago(10), now=NOW)
    assert not recent.due_now and recent.due_at == ago(10) + timedelta(days=28)
    untreated = check_due("luts_check", first_dose_at=None, last_completed_at=None, now=NOW)
    assert untreated.due_at is None and not untreated.due_now
    with pytest.raises(VigilanceError, match=r"unknown check 'bladder'; allowed: luts_check, misuse_check"):
        check_due("bladder", first_dose_at=None, last_completed_at=None, now=NOW)


# --- Finding 9: remission needs a baseline above the threshold --------------------------------------------


def test_finding_9_phq9_from_0_to_4_is_not_a_remission() -> None:
    # Remission is a PHQ-9 below 5 [PsychServ2020], reached from a baseline above it.
    assert classify_change("phq9", 0, 4) == "no_change"
    assert classify_change("phq9", 4, 2) == "no_change"
    assert classify_change("phq9", 12, 4) == "remission"
    assert classify_change("madrs", 8, 6) == "no_change"  # MADRS remission <= 10 [Ekstrand2022]
    assert classify_change("madrs", 30, 10) == "remission"
