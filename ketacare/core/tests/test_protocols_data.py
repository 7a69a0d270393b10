"""The packaged protocols.toml: it loads, every source resolves, and the brief's facts are encoded."""

from __future__ import annotations

import pytest

from ketacare.core import knowledge, protocols
from ketacare.core.knowledge import CLINIC_PRACTICE
from ketacare.core.protocols import catalog, get_protocol, get_route


def test_the_packaged_file_loads_with_every_source_id_known_to_sources_toml():
    loaded = protocols.load_protocols(protocols.DATA_FILE.read_text(encoding="utf-8"), check_sources=True)
    # esketamine_mdsi and im_ketamine (with the im route) were added for the safety-net issue (decision 0012).
    assert set(loaded.protocols) == {
        "iv_ketamine",
        "esketamine_trd",
        "esketamine_mdsi",
        "oral_ketamine",
        "sublingual_ketamine",
        "im_ketamine",
    }
    assert set(loaded.routes) == {"iv", "esketamine_in", "oral", "sublingual", "im"}


def test_clinic_practice_is_itself_a_source_in_sources_toml():
    assert CLINIC_PRACTICE in knowledge.source_ids()


def test_route_ids_are_the_knowledge_base_route_ids():
    from ketacare.core.knowledge.model import ROUTES

    assert set(protocols.route_ids()) <= set(ROUTES)


def test_every_protocol_route_has_route_rules():
    for protocol in catalog().protocols.values():
        assert get_route(protocol.route).id == protocol.route


def test_iv_ketamine_is_half_a_milligram_per_kilogram_over_forty_minutes():
    iv = get_protocol("iv_ketamine")
    assert iv.dose.standard_mg_per_kg == 0.5
    assert iv.dose.infusion_minutes == 40
    assert "Murrough2013a" in iv.dose.cited.sources


def test_iv_ketamine_offers_the_two_six_infusion_presets_and_a_custom_one():
    iv = get_protocol("iv_ketamine")
    by_id = {p.id: p for p in iv.presets}
    assert set(by_id) == {"3_per_week_2_weeks", "2_per_week_3_weeks", "custom"}
    three = by_id["3_per_week_2_weeks"].phases[0]
    assert (three.sessions_per_week, three.first_week, three.last_week, three.session_count) == (3, 1, 2, 6)
    two = by_id["2_per_week_3_weeks"].phases[0]
    assert (two.sessions_per_week, two.first_week, two.last_week, two.session_count) == (2, 1, 3, 6)
    assert by_id["custom"].custom and by_id["custom"].max_sessions == 12


def test_esketamine_first_dose_is_56_mg_under_65_and_never_84_mg():
    esk = get_protocol("esketamine_trd")
    under_65 = esk.first_dose_for_age(64)
    assert under_65 is not None and under_65.first_dose_mg == 56
    assert set(under_65.later_doses_mg) == {56, 84}
    assert esk.device is not None and esk.device.never_first_dose_mg == 84
    assert all(rule.first_dose_mg != 84 for rule in esk.first_doses)
    assert "HCP-Dose3" in esk.device.cited.sources


def test_esketamine_first_dose_is_28_mg_at_65_with_a_note_to_check_the_us_label():
    rule = get_protocol("esketamine_trd").first_dose_for_age(65)
    assert rule is not None and rule.first_dose_mg == 28
    assert "US label" in rule.cited.note
    assert rule.cited.sources == ("MIMS-HK",)


def test_esketamine_label_schedule_is_twice_weekly_then_weekly_then_weekly_or_fortnightly():
    esk = get_protocol("esketamine_trd")
    label = esk.preset("label")
    assert [(p.name, p.first_week, p.last_week, p.sessions_per_week) for p in label.phases] == [
        ("induction", 1, 4, 2),
        ("maintenance", 5, 8, 1),
    ]
    assert esk.maintenance is not None
    assert esk.maintenance.first_week == 9
    assert esk.maintenance.interval_weeks == (1, 2)


def test_esketamine_devices_deliver_28_mg_in_two_sprays_five_minutes_apart():
    device = get_protocol("esketamine_trd").device
    assert device is not None
    assert (device.mg_per_device, device.sprays_per_device, device.wait_between_devices_minutes) == (28, 2, 5)


def test_esketamine_observation_is_120_minutes_and_not_overridable():
    observation = get_route("esketamine_in").observation
    assert observation.min_minutes == 120
    assert observation.overridable is False
    assert "REMS-FDA" in observation.cited.sources


def test_iv_observation_is_a_clinic_practice_setting():
    observation = get_route("iv").observation
    assert observation.overridable is True
    assert observation.cited.is_clinic_practice
    assert CLINIC_PRACTICE in observation.cited.sources


def test_esketamine_fasting_is_two_hours_food_thirty_minutes_liquids_and_steroid_an_hour_before():
    fasting = get_route("esketamine_in").fasting
    assert fasting.food_minutes_before == 120
    assert fasting.liquids_minutes_before == 30
    assert fasting.nasal_steroid_minutes_before == 60
    assert "SPR-Pat" in fasting.cited.sources


def test_iv_fasting_has_no_sourced_number_and_defers_to_the_clinic():
    fasting = get_route("iv").fasting
    assert fasting.food_minutes_before is None and fasting.liquids_minutes_before is None
    assert fasting.cited.is_clinic_practice


def test_no_driving_until_the_next_day_after_restful_sleep():
    driving = get_route("esketamine_in").driving
    assert "next day" in driving.rule and "restful sleep" in driving.rule
    assert "HCP-Dose" in driving.cited.sources
    assert driving.cited.evidence == "label"


def test_rems_form_is_due_within_seven_days_for_outpatients_only():
    rems = get_route("esketamine_in").rems
    assert rems is not None and rems.form_due_days == 7 and rems.applies_to == "outpatient"
    assert "REMS-PMF" in rems.cited.sources
    assert get_route("iv").rems is None


def test_esketamine_blood_pressure_checkpoint_is_at_40_minutes():
    checkpoints = get_route("esketamine_in").checkpoints
    assert checkpoints.after_dose_minutes == (40,)
    assert {"HCP-Dose", "REMS-PMF"} <= set(checkpoints.cited.sources)


def test_oral_and_sublingual_are_marked_experimental():
    assert get_protocol("oral_ketamine").experimental
    assert get_protocol("sublingual_ketamine").experimental
    assert not get_protocol("iv_ketamine").experimental


def test_median_time_to_relapse_after_a_six_infusion_series_is_18_days():
    fact = get_protocol("iv_ketamine").outcome("median_days_to_relapse_after_series")
    assert fact.value == 18 and fact.unit == "days"
    assert fact.cited.sources == ("Murrough2013b",)


def test_sustain_1_relapse_in_stable_remitters_is_26_7_vs_45_3_percent():
    esk = get_protocol("esketamine_trd")
    assert esk.outcome("relapse_stable_remitters_esketamine_pct").value == pytest.approx(26.7)
    assert esk.outcome("relapse_stable_remitters_placebo_pct").value == pytest.approx(45.3)
    assert esk.outcome("relapse_stable_remitters_esketamine_pct").cited.sources == ("Daly2019",)


def test_every_rule_citing_clinic_practice_is_marked_practice_evidence():
    cited = []
    for route in catalog().routes.values():
        cited += [route.observation.cited, route.checkpoints.cited, route.fasting.cited, route.driving.cited]
        cited += [rule.cited for rule in (*route.pre_dose_rules, *route.vital_rules)]
    for protocol in catalog().protocols.values():
        cited += [protocol.cited, protocol.dose.cited, protocol.dose_bounds.cited, protocol.review]
        cited += [preset.cited for preset in protocol.presets]
    for item in cited:
        if CLINIC_PRACTICE in item.sources:
            assert item.evidence == "practice"


def test_an_unknown_protocol_id_names_the_allowed_ids():
    with pytest.raises(ValueError, match="unknown protocol 'ketamine_iv'; expected one of: iv_ketamine"):
        get_protocol("ketamine_iv")


def test_an_unknown_route_id_names_the_allowed_ids():
    with pytest.raises(ValueError, match="unknown route 'nasal'; expected one of: esketamine_in, iv"):
        get_route("nasal")
