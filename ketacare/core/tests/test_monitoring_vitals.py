"""flag_vitals: in-session thresholds, absolute and against the pre-dose baseline."""

from __future__ import annotations

from ketacare.core.monitoring import VitalSigns, flag_vitals

BASELINE = VitalSigns(systolic_mmhg=120, diastolic_mmhg=78, heart_rate_bpm=70, spo2_pct=98)


def codes(flags):
    return [flag.code for flag in flags]


def test_normal_vitals_raise_no_flag():
    assert flag_vitals("iv", BASELINE, VitalSigns(128, 82, 76, 97)) == []


def test_systolic_above_180_is_critical():
    flags = flag_vitals("iv", BASELINE, VitalSigns(181, 90, 80, 97))
    assert "systolic_severe" in codes(flags)
    severe = next(f for f in flags if f.code == "systolic_severe")
    assert severe.level == "critical" and severe.threshold == 180 and severe.value == 181
    assert {"DelSant2020", "Murrough2013b", "clinic-practice"} <= set(severe.sources)


def test_systolic_of_exactly_180_is_not_severe():
    assert "systolic_severe" not in codes(flag_vitals("iv", None, VitalSigns(180, 90, 80, 97)))


def test_diastolic_above_110_is_critical():
    assert codes(flag_vitals("esketamine_in", None, VitalSigns(170, 111, 80, 97))) == ["diastolic_severe"]


def test_a_rise_of_more_than_40_systolic_over_baseline_is_a_warning():
    flags = flag_vitals("iv", BASELINE, VitalSigns(161, 80, 75, 97))
    assert codes(flags) == ["systolic_rise"] and flags[0].level == "warning"


def test_a_rise_of_exactly_40_is_not_flagged():
    assert flag_vitals("iv", BASELINE, VitalSigns(160, 80, 75, 97)) == []


def test_a_diastolic_rise_of_more_than_25_is_a_warning():
    assert codes(flag_vitals("esketamine_in", BASELINE, VitalSigns(130, 104, 75, 97))) == ["diastolic_rise"]


def test_baseline_rules_are_skipped_without_a_baseline():
    assert flag_vitals("iv", None, VitalSigns(161, 80, 75, 97)) == []


def test_low_spo2_is_a_warning_and_below_90_critical():
    assert [(f.code, f.level) for f in flag_vitals("iv", BASELINE, VitalSigns(120, 78, 70, 91))] == [
        ("spo2_low", "warning")
    ]
    flags = flag_vitals("iv", BASELINE, VitalSigns(120, 78, 70, 88))
    assert [(f.code, f.level) for f in flags] == [("spo2_critical", "critical"), ("spo2_low", "warning")]


def test_heart_rate_and_low_systolic_warnings():
    assert codes(flag_vitals("iv", BASELINE, VitalSigns(120, 78, 121, 97))) == ["heart_rate_high"]
    assert codes(flag_vitals("iv", BASELINE, VitalSigns(120, 78, 49, 97))) == ["heart_rate_low"]
    assert codes(flag_vitals("iv", BASELINE, VitalSigns(89, 60, 70, 97))) == ["systolic_low"]


def test_critical_flags_come_first():
    flags = flag_vitals("iv", BASELINE, VitalSigns(190, 100, 125, 97))
    levels = [f.level for f in flags]
    assert levels == sorted(levels, key=lambda level: level != "critical")
    assert flags[0].code == "systolic_severe"


def test_a_missing_heart_rate_or_spo2_is_not_flagged_here():
    assert flag_vitals("iv", BASELINE, VitalSigns(120, 78)) == []


def test_experimental_routes_flag_severe_hypertension():
    assert codes(flag_vitals("oral", None, VitalSigns(185, 90))) == ["systolic_severe"]
    assert codes(flag_vitals("sublingual", None, VitalSigns(150, 112))) == ["diastolic_severe"]
