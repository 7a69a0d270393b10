"""The safe pathway's pure rules: plan gate, dose readiness, plausible dosing, discharge with BP."""

from __future__ import annotations

import pytest

from ketacare.core.monitoring import VitalSigns
from ketacare.core.pathway import (
    ReadinessInput,
    delivered_mg,
    discharge_check,
    dose_plausibility,
    dose_readiness,
    plan_gate,
)


def test_plan_gate_lists_every_missing_step():
    gate = plan_gate("iv", screening_completed=False, decision=None, consent_routes=())
    assert [m.code for m in gate.missing] == ["screening_missing", "decision_missing", "consent_missing"]
    assert not gate.ok and not gate.blocked


def test_plan_gate_passes_with_screening_decision_and_consent_for_the_route():
    gate = plan_gate(
        "iv", screening_completed=True, decision="eligible_with_precautions", consent_routes=["iv"]
    )
    assert gate.ok and gate.missing == ()


def test_consent_for_another_route_does_not_count():
    gate = plan_gate("esketamine_in", screening_completed=True, decision="eligible", consent_routes=["iv"])
    assert [m.code for m in gate.missing] == ["consent_missing"]


def test_a_not_eligible_decision_blocks_and_cannot_be_overridden():
    gate = plan_gate("iv", screening_completed=True, decision="not_eligible", consent_routes=["iv"])
    assert gate.blocked and gate.missing[0].overridable is False


def test_plan_gate_refuses_unknown_values():
    with pytest.raises(ValueError, match="route"):
        plan_gate("rectal", screening_completed=True, decision="eligible", consent_routes=())
    with pytest.raises(ValueError, match="decision"):
        plan_gate("iv", screening_completed=True, decision="maybe", consent_routes=())


def _ready(**kw):
    base = {
        "route": "esketamine_in",
        "age_years": 45,
        "systolic_mmhg": 125,
        "diastolic_mmhg": 80,
        "heart_rate_bpm": 70,
        "spo2_pct": 98,
        "ride_home": True,
        "fasting": True,
        "fasting_required": True,
    }
    return dose_readiness(ReadinessInput(**{**base, **kw}))


def test_a_ready_patient_is_a_go():
    result = _ready()
    assert result.go and result.severity is None


@pytest.mark.parametrize(
    ("change", "code", "severity"),
    [
        ({"plan_active": False}, "no_active_plan", "contact_clinic"),
        ({"not_eligible": True}, "not_eligible", "urgent"),
        ({"consent_valid": False}, "no_consent", "urgent"),
        ({"due_today": False}, "not_due_today", "contact_clinic"),
        ({"checked_in": False}, "not_checked_in", "contact_clinic"),
        ({"systolic_mmhg": None, "diastolic_mmhg": None}, "pre_dose_vitals_missing", "contact_clinic"),
        ({"ride_home": False}, "ride_home", "contact_clinic"),
        ({"fasting": False}, "fasting", "contact_clinic"),
        ({"fasting": None}, "fasting", "contact_clinic"),
        ({"new_medications": ["Xanax 0.5 mg"]}, "new_medication", "urgent"),
        ({"red_flags_since_last": ["chest_pain"]}, "red_flags", "urgent"),
        ({"suicide_item_positive": True}, "suicide_item", "urgent"),
        ({"cssrs_risk": "high"}, "cssrs_high", "urgent"),
        ({"urinary_symptoms": True}, "urinary_symptoms", "urgent"),
        ({"mania_or_psychosis": True}, "mania_or_psychosis", "urgent"),
        ({"pregnant": True}, "pregnancy", "urgent"),
        ({"hours_since_last_dose": 3.0}, "interval", "contact_clinic"),
        (
            {"paused_for_review": "Next dose paused until a prescriber reviews."},
            "paused_for_review",
            "urgent",
        ),
    ],
)
def test_each_failing_item_is_a_hold_with_its_severity(change, code, severity):
    result = _ready(**change)
    assert not result.go
    assert [(h.code, h.severity) for h in result.holds] == [(code, severity)]


def test_high_blood_pressure_holds_urgently_and_every_reason_is_listed():
    result = _ready(systolic_mmhg=182, diastolic_mmhg=112, ride_home=False, fasting=False)
    codes = [h.code for h in result.holds]
    assert codes[:2] == ["pre_dose_systolic_above_guide", "pre_dose_diastolic_above_guide"]
    assert "ride_home" in codes and "fasting" in codes and result.severity == "urgent"


def test_a_medicine_already_screened_is_not_new():
    assert _ready(new_medications=["Xanax"], screened_drug_classes=["benzodiazepines"]).go


def test_iv_fasting_follows_the_clinic_policy():
    assert _ready(route="iv", fasting=False, fasting_required=False).go
    held = _ready(route="iv", fasting=False, fasting_required=True)
    assert [h.code for h in held.holds] == ["fasting"] and "clinic's fasting policy" in held.holds[0].message


def test_readiness_refuses_bad_input():
    with pytest.raises(ValueError, match="systolic_mmhg"):
        _ready(systolic_mmhg=400)
    with pytest.raises(ValueError, match="cssrs_risk"):
        _ready(cssrs_risk="extreme")
    with pytest.raises(ValueError, match="hours_since_last_dose"):
        _ready(hours_since_last_dose=-1)


def test_an_infusion_stopped_early_needs_a_reason_and_delivers_rate_times_time():
    assert delivered_mg(35, 40, 0.75) == 0.66
    assert delivered_mg(35, 40, 50) == 35.0
    early = dose_plausibility(
        "iv_ketamine", total_mg=0.66, weight_kg=70, planned_minutes=40, actual_minutes=0.75
    )
    assert "early_stop" in [code for code, _ in early.issues]
    on_time = dose_plausibility(
        "iv_ketamine", total_mg=35, weight_kg=70, planned_minutes=40, actual_minutes=33
    )
    assert not on_time.needs_reason  # 33 of 40 min is past 80%


@pytest.mark.parametrize(
    ("total", "age", "ok"), [(56, 45, True), (84, 45, True), (28, 45, False), (28, 70, True)]
)
def test_the_esketamine_total_must_be_one_the_label_allows(total, age, ok):
    result = dose_plausibility("esketamine_trd", total_mg=total, age_years=age, finished=True)
    assert result.needs_reason is not ok


def test_japanese_ancestry_allows_the_28_mg_start():
    assert not dose_plausibility(
        "esketamine_trd", total_mg=28, age_years=45, finished=True, japanese_ancestry=True
    ).needs_reason


def test_an_iv_total_outside_the_protocol_range_needs_a_reason():
    result = dose_plausibility("iv_ketamine", total_mg=120, weight_kg=70)
    assert [code for code, _ in result.issues] == ["out_of_range"] and "0.1–1 mg/kg" in result.issues[0][1]


def _discharge(latest, margin=None):
    return discharge_check(
        "esketamine_in",
        age_years=45,
        minutes_since_dose=125,
        moaas_score=5,
        dissociation_resolved=True,
        baseline_vitals=VitalSigns(130, 80, 70, 98),
        latest_vitals=latest,
        ride_home_confirmed=True,
        instructions_given=True,
        bp_margin_mmhg=margin,
    )


def test_bp_still_above_the_hold_threshold_is_not_ready_to_go_home():
    result = _discharge(VitalSigns(165, 95, 70, 98))
    assert not result.ready and [c.code for c in result.unmet] == ["bp_above_hold"]
    assert "165/95" in result.unmet[0].message


def test_bp_back_below_the_threshold_is_ready():
    assert _discharge(VitalSigns(135, 85, 70, 98)).ready


def test_the_clinic_margin_of_baseline_counts():
    assert _discharge(VitalSigns(145, 85, 70, 98), margin=20).ready
    assert not _discharge(VitalSigns(165, 95, 70, 98), margin=20).ready
    with pytest.raises(ValueError, match="bp_margin_mmhg"):
        _discharge(VitalSigns(135, 85, 70, 98), margin=100)
