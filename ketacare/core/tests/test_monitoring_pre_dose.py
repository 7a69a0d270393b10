"""check_pre_dose and VitalSigns: hold rules per route and age, physiological bounds."""

from __future__ import annotations

import math

import pytest

from ketacare.core.monitoring import VitalSigns, check_pre_dose


def codes(result):
    return [reason.code for reason in result.reasons]


def test_esketamine_pre_dose_bp_150_over_95_is_held_for_a_prescriber_decision():
    result = check_pre_dose("esketamine_in", 45, 150, 95)
    assert result.hold
    assert codes(result) == ["systolic_above_guide", "diastolic_above_guide"]
    assert all("JNJ-BP" in reason.sources for reason in result.reasons)


def test_esketamine_pre_dose_bp_exactly_140_over_90_is_not_flagged():
    result = check_pre_dose("esketamine_in", 45, 140, 90)
    assert not result.hold and result.reasons == ()


def test_esketamine_diastolic_above_90_alone_holds():
    result = check_pre_dose("esketamine_in", 45, 130, 91)
    assert result.hold and codes(result) == ["diastolic_above_guide"]


def test_over_65_a_systolic_of_145_is_an_advisory_not_a_hold():
    result = check_pre_dose("esketamine_in", 70, 145, 85)
    assert not result.hold
    assert codes(result) == ["systolic_above_guide_over_65"]
    assert result.reasons[0].level == "advisory"


def test_over_65_a_systolic_above_150_holds():
    result = check_pre_dose("esketamine_in", 70, 151, 85)
    assert result.hold
    assert "systolic_above_trial_limit_over_65" in codes(result)
    assert "JNJ-CV" in result.reasons[0].sources


def test_at_exactly_65_the_general_140_guide_holds():
    result = check_pre_dose("esketamine_in", 65, 145, 85)
    assert result.hold and codes(result) == ["systolic_above_guide"]


def test_iv_borrows_the_140_over_90_guide_as_clinic_practice():
    result = check_pre_dose("iv", 45, 150, 95)
    assert result.hold
    assert all(reason.evidence == "practice" for reason in result.reasons)
    assert all("clinic-practice" in reason.sources for reason in result.reasons)


def test_low_spo2_and_abnormal_heart_rate_hold_as_clinic_practice():
    result = check_pre_dose("iv", 45, 120, 80, heart_rate_bpm=115, spo2_pct=91)
    assert result.hold
    assert set(codes(result)) == {"spo2_low", "heart_rate_high"}
    assert codes(check_pre_dose("iv", 45, 120, 80, heart_rate_bpm=45)) == ["heart_rate_low"]


def test_normal_vitals_have_no_reasons():
    result = check_pre_dose("esketamine_in", 30, 118, 76, heart_rate_bpm=72, spo2_pct=98)
    assert not result.hold and result.reasons == ()


def test_a_reason_reports_the_value_and_threshold():
    reason = check_pre_dose("esketamine_in", 45, 150, 80).reasons[0]
    assert (reason.field, reason.value, reason.threshold) == ("systolic_mmhg", 150, 140)
    # Staff read the message on the run-sheet: the reading as they say it, not the field's id.
    assert "(systolic 150 mmHg)" in reason.message and "systolic_mmhg" not in reason.message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"systolic_mmhg": 40}, "systolic_mmhg 40 is out of range 50-300"),
        ({"systolic_mmhg": 310}, "systolic_mmhg 310 is out of range 50-300"),
        ({"diastolic_mmhg": 10}, "diastolic_mmhg 10 is out of range 20-200"),
        ({"heart_rate_bpm": 10}, "heart_rate_bpm 10 is out of range 20-250"),
        ({"heart_rate_bpm": 260}, "heart_rate_bpm 260 is out of range 20-250"),
        ({"spo2_pct": 49}, "spo2_pct 49 is out of range 50-100"),
        ({"spo2_pct": 101}, "spo2_pct 101 is out of range 50-100"),
    ],
)
def test_a_reading_outside_physiological_bounds_names_the_field_and_range(kwargs, message):
    values = {"systolic_mmhg": 120, "diastolic_mmhg": 80} | kwargs
    with pytest.raises(ValueError, match=message):
        VitalSigns(**values)
    with pytest.raises(ValueError, match=message):
        check_pre_dose("iv", 45, **values)


def test_the_physiological_bounds_themselves_are_accepted():
    VitalSigns(systolic_mmhg=300, diastolic_mmhg=200, heart_rate_bpm=250, spo2_pct=100)
    VitalSigns(systolic_mmhg=50, diastolic_mmhg=20, heart_rate_bpm=20, spo2_pct=50)


def test_a_diastolic_at_or_above_the_systolic_is_rejected():
    with pytest.raises(ValueError, match="diastolic_mmhg 120 must be below systolic_mmhg 110"):
        VitalSigns(systolic_mmhg=110, diastolic_mmhg=120)


@pytest.mark.parametrize("bad", [math.nan, True, "120", None])
def test_a_systolic_that_is_not_a_number_is_rejected(bad):
    with pytest.raises(ValueError, match="systolic_mmhg must be a number in range 50-300"):
        VitalSigns(systolic_mmhg=bad, diastolic_mmhg=80)


def test_an_impossible_age_is_rejected():
    with pytest.raises(ValueError, match="age_years 140 is out of range; expected a whole number 0-130"):
        check_pre_dose("iv", 140, 120, 80)


def test_an_unknown_route_is_rejected_naming_the_routes():
    with pytest.raises(
        ValueError, match="unknown route 'nasal'; expected one of: esketamine_in, iv, oral, sublingual"
    ):
        check_pre_dose("nasal", 45, 120, 80)


def test_an_oxygen_reading_reads_as_staff_say_it() -> None:
    reason = next(r for r in check_pre_dose("iv", 45, 120, 80, spo2_pct=89).reasons if r.field == "spo2_pct")
    assert reason.message.endswith("(SpO2 89%)")
