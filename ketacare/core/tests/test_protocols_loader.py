"""The protocols.toml loader rejects bad data with an error naming the entry and the field."""

from __future__ import annotations

import pytest

from ketacare.core import protocols
from ketacare.core.protocols import ProtocolDataError, load_protocols

TEXT = protocols.DATA_FILE.read_text(encoding="utf-8")


def mutated(old: str, new: str) -> str:
    assert TEXT.count(old) >= 1, old
    return TEXT.replace(old, new, 1)


def load(text: str):
    return load_protocols(text)


def test_the_unmodified_file_loads():
    assert load(TEXT).protocol("esketamine_trd").route == "esketamine_in"


def test_an_unknown_source_id_is_rejected_naming_the_entry():
    text = mutated('sources = ["Anand2023"]', 'sources = ["Anand2024"]')
    with pytest.raises(
        ProtocolDataError, match=r"protocol 'iv_ketamine' preset '2_per_week_3_weeks'.*'Anand2024'"
    ):
        load(text)


def test_source_ids_are_not_checked_when_no_list_is_given():
    text = mutated('sources = ["Anand2023"]', 'sources = ["Anand2024"]')
    assert load_protocols(text, check_sources=False).protocol("iv_ketamine")


def test_a_duplicate_protocol_id_is_rejected():
    text = mutated('id = "oral_ketamine"', 'id = "iv_ketamine"')
    with pytest.raises(ProtocolDataError, match="duplicate protocol id 'iv_ketamine'"):
        load(text)


def test_a_duplicate_route_id_is_rejected():
    text = mutated('id = "oral"\n', 'id = "iv"\n')
    with pytest.raises(ProtocolDataError, match="duplicate route id 'iv'"):
        load(text)


def test_a_duplicate_preset_id_is_rejected():
    text = mutated('id = "2_per_week_3_weeks"', 'id = "3_per_week_2_weeks"')
    with pytest.raises(
        ProtocolDataError, match="protocol 'iv_ketamine': duplicate preset id '3_per_week_2_weeks'"
    ):
        load(text)


def test_dose_bounds_with_min_above_max_are_rejected_naming_both():
    text = mutated("min_mg = 28\nmax_mg = 84", "min_mg = 90\nmax_mg = 84")
    with pytest.raises(
        ProtocolDataError, match="protocol 'esketamine_trd' dose_bounds: min_mg 90 is above max_mg 84"
    ):
        load(text)


def test_a_negative_observation_time_is_rejected_with_its_range():
    text = mutated("min_minutes = 120", "min_minutes = -5")
    with pytest.raises(
        ProtocolDataError, match=r"route 'esketamine_in' observation: min_minutes -5 is out of range 1-1440"
    ):
        load(text)


def test_a_default_observation_below_the_minimum_is_rejected():
    text = mutated("default_minutes = 120", "default_minutes = 90")
    with pytest.raises(ProtocolDataError, match="default_minutes 90 is below min_minutes 120"):
        load(text)


def test_a_boolean_where_a_number_belongs_is_rejected():
    text = mutated("standard_mg_per_kg = 0.5", "standard_mg_per_kg = true")
    with pytest.raises(
        ProtocolDataError, match="protocol 'iv_ketamine' dose: standard_mg_per_kg must be a number"
    ):
        load(text)


def test_a_string_where_a_number_belongs_is_rejected():
    text = mutated("form_due_days = 7", 'form_due_days = "7"')
    with pytest.raises(
        ProtocolDataError, match="route 'esketamine_in' rems: form_due_days must be a whole number"
    ):
        load(text)


def test_a_standard_dose_outside_the_bounds_is_rejected():
    text = mutated("standard_mg_per_kg = 0.5", "standard_mg_per_kg = 1.5")
    with pytest.raises(ProtocolDataError, match="standard_mg_per_kg 1.5 is outside the bounds 0.1-1"):
        load(text)


def test_a_vital_threshold_outside_physiological_range_is_rejected():
    text = mutated("value = 180", "value = 400")
    with pytest.raises(
        ProtocolDataError, match=r"vital_rule 'systolic_severe': value 400 is out of range 50-300"
    ):
        load(text)


def test_an_unknown_key_is_rejected_so_typos_do_not_pass_silently():
    text = mutated("min_minutes = 120", "min_minutes = 120\nminimum_minutes = 120")
    with pytest.raises(
        ProtocolDataError, match="route 'esketamine_in' observation: unknown key\\(s\\): minimum_minutes"
    ):
        load(text)


def test_a_missing_required_field_is_rejected():
    text = mutated(
        'rule = "No driving or operating machinery until the next day, after a restful sleep; arrange transport home."\n',
        "",
    )
    with pytest.raises(ProtocolDataError, match="route 'esketamine_in' driving: missing 'rule'"):
        load(text)


def test_clinic_practice_cited_as_label_evidence_is_rejected():
    text = mutated(
        'evidence = "practice"\nsources = ["clinic-practice"]',
        'evidence = "label"\nsources = ["clinic-practice"]',
    )
    with pytest.raises(ProtocolDataError, match="cites 'clinic-practice' but evidence is 'label'"):
        load(text)


def test_an_unknown_evidence_tag_is_rejected():
    text = mutated('evidence = "rct"', 'evidence = "strong"')
    with pytest.raises(ProtocolDataError, match="evidence 'strong' is not one of"):
        load(text)


def test_84_mg_as_a_first_dose_is_rejected():
    text = mutated("first_dose_mg = 56", "first_dose_mg = 84")
    with pytest.raises(ProtocolDataError, match="first_dose_mg 84 is the never-first dose"):
        load(text)


def test_a_first_dose_that_is_not_a_whole_number_of_devices_is_rejected():
    text = mutated("first_dose_mg = 56", "first_dose_mg = 50")
    with pytest.raises(ProtocolDataError, match="dose 50 mg is not a multiple of 28 mg devices"):
        load(text)


def test_default_weekdays_must_match_sessions_per_week():
    text = mutated('default_weekdays = ["mon", "wed", "fri"]', 'default_weekdays = ["mon", "wed"]')
    with pytest.raises(
        ProtocolDataError, match="default_weekdays has 2 day\\(s\\) but the schedule needs 3 per week"
    ):
        load(text)


def test_an_unknown_weekday_is_rejected():
    text = mutated('default_weekdays = ["mon", "wed", "fri"]', 'default_weekdays = ["mon", "wed", "fry"]')
    with pytest.raises(ProtocolDataError, match="default_weekdays item 'fry' is not one of"):
        load(text)


def test_phases_must_be_contiguous():
    text = mutated("first_week = 5\nlast_week = 8", "first_week = 6\nlast_week = 8")
    with pytest.raises(ProtocolDataError, match="first_week 6 should be 5"):
        load(text)


def test_a_protocol_on_a_route_without_rules_is_rejected():
    text = mutated('route = "oral"', 'route = "rectal"')
    with pytest.raises(
        ProtocolDataError, match="protocol 'oral_ketamine': route 'rectal' has no \\[\\[route\\]\\] table"
    ):
        load(text)


def test_invalid_toml_is_reported_as_a_data_error():
    with pytest.raises(ProtocolDataError, match="invalid TOML"):
        load(TEXT + "\n[[protocol]\n")


def test_practice_evidence_without_a_practice_level_source_is_rejected():
    text = mutated('sources = ["clinic-practice", "Yale2024"]', 'sources = ["Yale2024"]')
    with pytest.raises(
        ProtocolDataError, match="evidence is 'practice' but no cited source is practice-level"
    ):
        load(text)
