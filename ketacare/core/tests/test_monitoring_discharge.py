"""discharge_readiness: every criterion, every branch, and the esketamine 2-hour hard rule."""

from __future__ import annotations

import pytest

from ketacare.core.monitoring import VitalSigns, discharge_readiness, observation_minutes

BASELINE = VitalSigns(systolic_mmhg=120, diastolic_mmhg=78, heart_rate_bpm=70, spo2_pct=98)
LATEST = VitalSigns(systolic_mmhg=126, diastolic_mmhg=80, heart_rate_bpm=72, spo2_pct=97)


def ready_args(**overrides):
    args = {
        "route": "esketamine_in",
        "minutes_since_dose": 120,
        "moaas_score": 5,
        "baseline_vitals": BASELINE,
        "latest_vitals": LATEST,
        "ride_home_confirmed": True,
        "instructions_given": True,
        "dissociation_resolved": True,
    }
    return args | overrides


def unmet_codes(**overrides):
    return [criterion.code for criterion in discharge_readiness(**ready_args(**overrides)).unmet]


def test_a_patient_meeting_every_criterion_is_ready():
    result = discharge_readiness(**ready_args())
    assert result.ready and result.unmet == ()
    assert result.required_observation_minutes == 120


def test_esketamine_discharge_before_120_minutes_is_rejected():
    result = discharge_readiness(**ready_args(minutes_since_dose=119))
    assert not result.ready
    assert [c.code for c in result.unmet] == ["observation_time"]
    assert "119 min of the required 120 min" in result.unmet[0].message
    assert "hard rule" in result.unmet[0].message


def test_esketamine_discharge_at_exactly_120_minutes_is_allowed():
    assert discharge_readiness(**ready_args(minutes_since_dose=120)).ready


def test_a_clinic_may_lengthen_esketamine_observation():
    result = discharge_readiness(**ready_args(minutes_since_dose=150, clinic_min_observation_min=180))
    assert result.required_observation_minutes == 180
    assert [c.code for c in result.unmet] == ["observation_time"]


def test_a_clinic_setting_below_the_esketamine_two_hours_is_refused():
    with pytest.raises(
        ValueError,
        match="clinic_min_observation_min 90 is below the 120-minute minimum for route 'esketamine_in' \\(a hard rule\\)",
    ):
        discharge_readiness(**ready_args(clinic_min_observation_min=90))


def test_iv_observation_defaults_to_the_clinic_practice_60_minutes():
    assert observation_minutes("iv") == 60
    assert unmet_codes(route="iv", minutes_since_dose=59) == ["observation_time"]
    assert unmet_codes(route="iv", minutes_since_dose=60) == []


def test_an_iv_clinic_may_choose_a_shorter_time_down_to_the_floor():
    assert observation_minutes("iv", 30) == 30
    assert unmet_codes(route="iv", minutes_since_dose=45, clinic_min_observation_min=45) == []
    with pytest.raises(
        ValueError, match="clinic_min_observation_min 20 is below the 30-minute minimum for route 'iv'"
    ):
        observation_minutes("iv", 20)


def test_iv_observation_message_does_not_call_it_a_rems_rule():
    result = discharge_readiness(**ready_args(route="iv", minutes_since_dose=10))
    assert "REMS" not in result.unmet[0].message


@pytest.mark.parametrize("bad", [-1, 1.5, "120", True, 5000])
def test_a_malformed_clinic_observation_setting_is_rejected(bad):
    with pytest.raises(ValueError, match="clinic_min_observation_min"):
        observation_minutes("esketamine_in", bad)


def test_sedation_not_assessed_is_unmet():
    assert unmet_codes(moaas_score=None) == ["sedation_not_assessed"]


@pytest.mark.parametrize("score", [0, 1, 2, 3, 4])
def test_any_moaas_below_5_is_unmet_sedation(score):
    assert unmet_codes(moaas_score=score) == ["sedation"]


@pytest.mark.parametrize("bad", [6, -1, 4.5, True])
def test_a_moaas_outside_0_to_5_is_rejected(bad):
    with pytest.raises(ValueError, match="moaas_score .* is out of range; expected a whole number 0-5"):
        discharge_readiness(**ready_args(moaas_score=bad))


def test_dissociation_not_assessed_is_unmet():
    assert unmet_codes(dissociation_resolved=None) == ["dissociation_not_assessed"]


def test_dissociation_not_resolved_is_unmet():
    assert unmet_codes(dissociation_resolved=False) == ["dissociation"]


def test_missing_baseline_vitals_are_unmet():
    assert unmet_codes(baseline_vitals=None) == ["baseline_vitals_missing"]


def test_no_vitals_since_dosing_is_unmet():
    assert unmet_codes(latest_vitals=None) == ["vitals_not_recorded"]


def test_latest_vitals_without_spo2_are_unmet():
    assert unmet_codes(latest_vitals=VitalSigns(126, 80, 72)) == ["spo2_not_recorded"]


def test_latest_vitals_out_of_range_are_unmet_with_the_flags_named():
    result = discharge_readiness(**ready_args(latest_vitals=VitalSigns(185, 95, 80, 97)))
    assert [c.code for c in result.unmet] == ["vitals_out_of_range"]
    assert "180 mmHg" in result.unmet[0].message


def test_latest_vitals_far_above_baseline_are_unmet():
    assert unmet_codes(latest_vitals=VitalSigns(165, 82, 72, 97)) == ["vitals_out_of_range"]


def test_no_ride_home_is_unmet_and_states_the_driving_rule():
    result = discharge_readiness(**ready_args(ride_home_confirmed=False))
    assert [c.code for c in result.unmet] == ["ride_home"]
    assert "next day, after a restful sleep" in result.unmet[0].message


def test_instructions_not_given_is_unmet():
    assert unmet_codes(instructions_given=False) == ["instructions"]


def test_every_unmet_criterion_is_returned_together():
    result = discharge_readiness(
        "esketamine_in",
        minutes_since_dose=30,
        moaas_score=3,
        baseline_vitals=None,
        latest_vitals=VitalSigns(190, 100, 80),
        ride_home_confirmed=False,
        instructions_given=False,
        dissociation_resolved=False,
    )
    assert not result.ready
    assert [c.code for c in result.unmet] == [
        "observation_time",
        "sedation",
        "dissociation",
        "baseline_vitals_missing",
        "spo2_not_recorded",
        "vitals_out_of_range",
        "ride_home",
        "instructions",
    ]


def test_dissociation_defaults_to_not_assessed():
    args = ready_args()
    del args["dissociation_resolved"]
    assert [c.code for c in discharge_readiness(**args).unmet] == ["dissociation_not_assessed"]


@pytest.mark.parametrize("bad", [-1, float("nan"), "120", 5000])
def test_impossible_minutes_since_dose_are_rejected(bad):
    with pytest.raises(ValueError, match="minutes_since_dose"):
        discharge_readiness(**ready_args(minutes_since_dose=bad))
