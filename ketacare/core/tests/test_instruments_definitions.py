"""The packaged instrument definitions: ids, metadata, codes, sources and load-time checks."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources

import pytest

from ketacare.core.instruments import (
    InstrumentDefinitionError,
    UnknownInstrumentError,
    get_instrument,
    instruments,
)
from ketacare.core.instruments.registry import _parse

EXPECTED_IDS = {
    "phq9", "gad7", "qids_sr16", "pcl5", "pain_nrs", "bpi_sf",
    "cssrs_screener", "madrs", "ybocs", "moaas", "daily_mood",
    # KetaCare's periodic safety checks (decision 0012): bladder symptoms and cravings or misuse.
    "luts_check", "misuse_check",
}  # fmt: skip
CLINICIAN_RATED = {"madrs", "ybocs", "moaas", "cssrs_screener"}
HIGHER_IS_BETTER = {"moaas", "daily_mood"}
# Brief §5b: the only total-score LOINC codes it verifies.
LOINC_TOTALS = {"phq9": "44261-6", "gad7": "70274-6"}
# Brief §5b [USCore-PHQ9] [BH-PHQ9]: PHQ-9 items 1-8; item 9 checked later [USCore-PHQ9-item9].
PHQ9_ITEM_LOINC = {
    "phq9.q1": "44250-9", "phq9.q2": "44255-8", "phq9.q3": "44259-0", "phq9.q4": "44254-1",
    "phq9.q5": "44251-7", "phq9.q6": "44258-2", "phq9.q7": "44252-5", "phq9.q8": "44253-3",
    "phq9.q9": "44260-8",
}  # fmt: skip


def test_the_instruments_are_packaged_under_their_stable_ids():
    assert {i.id for i in instruments()} == EXPECTED_IDS
    assert [i.id for i in instruments()] == sorted(EXPECTED_IDS)
    assert get_instrument("phq9") is get_instrument("phq9")


def test_an_unknown_id_is_a_value_error_naming_it_and_listing_the_allowed_ids():
    with pytest.raises(UnknownInstrumentError) as refused:
        get_instrument("PHQ9")
    message = str(refused.value)
    assert "'PHQ9'" in message
    for instrument_id in EXPECTED_IDS:
        assert instrument_id in message
    with pytest.raises(UnknownInstrumentError):
        get_instrument(None)  # type: ignore[arg-type]


def test_instruments_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_instrument("phq9").max_score = 30  # type: ignore[misc]


@pytest.mark.parametrize("instrument", instruments(), ids=lambda i: i.id)
def test_each_instrument_has_a_version_title_citation_and_item_ids_under_its_own_id(instrument):
    assert instrument.version and instrument.title and instrument.citation and instrument.copyright
    assert instrument.sources
    assert all(re.fullmatch(rf"{instrument.id}\.q\d+", item_id) for item_id in instrument.item_ids)
    assert all(item.text and item.options for item in instrument.items)
    assert instrument.completed_by == ("clinician" if instrument.id in CLINICIAN_RATED else "patient")
    assert instrument.higher_is_worse is (instrument.id not in HIGHER_IS_BETTER)


def test_only_the_loinc_codes_the_brief_verifies_are_used():
    assert {i.id: i.loinc_total for i in instruments() if i.loinc_total} == LOINC_TOTALS
    assert {item.id: item.loinc for item in get_instrument("phq9").items} == PHQ9_ITEM_LOINC
    others = [item.loinc for i in instruments() if i.id != "phq9" for item in i.items if item.loinc]
    assert others == []


def test_phq9_answers_use_the_loinc_answer_codes_of_the_brief():
    item = get_instrument("phq9").items[0]
    assert [(o.value, o.code) for o in item.options] == [
        (0, "LA6568-5"),
        (1, "LA6569-3"),
        (2, "LA6570-1"),
        (3, "LA6571-9"),
    ]


def test_the_item_counts_and_option_ranges_match_the_brief():
    shapes = {
        i.id: (
            len(i.items),
            min(min(it.allowed_values) for it in i.items),
            max(max(it.allowed_values) for it in i.items),
        )
        for i in instruments()
    }
    assert shapes == {
        "phq9": (9, 0, 3),
        "gad7": (7, 0, 3),
        "qids_sr16": (16, 0, 3),
        "pcl5": (20, 0, 4),
        "madrs": (10, 0, 6),
        "ybocs": (10, 0, 4),
        "pain_nrs": (1, 0, 10),
        "bpi_sf": (11, 0, 10),
        "cssrs_screener": (6, 0, 2),
        "moaas": (1, 0, 5),
        "daily_mood": (1, 0, 10),
        "luts_check": (4, 0, 1),
        "misuse_check": (3, 0, 1),
    }


def test_every_source_id_resolves_in_the_knowledge_sources_file():
    from ketacare.core.knowledge import source_ids

    cited = {source for i in instruments() for source in i.sources}
    assert cited, "instruments cite no sources at all"
    assert cited - source_ids() == set()


def phq9_raw() -> dict:
    return tomllib.loads((resources.files("ketacare.core.instruments.data") / "phq9.toml").read_text("utf-8"))


def test_the_loader_rejects_bands_with_a_gap():
    raw = phq9_raw()
    raw["bands"][1]["low"] = 6
    with pytest.raises(InstrumentDefinitionError, match="gap or overlap"):
        _parse(raw, where="phq9.toml")


def test_the_loader_rejects_a_declared_range_the_items_cannot_reach():
    raw = phq9_raw()
    raw["max_score"] = 30
    with pytest.raises(InstrumentDefinitionError, match="reachable range"):
        _parse(raw, where="phq9.toml")


def test_the_loader_rejects_a_change_rule_without_sources():
    raw = phq9_raw()
    raw["change"]["response_sources"] = []
    with pytest.raises(InstrumentDefinitionError, match="response: a rule and its sources come together"):
        _parse(raw, where="phq9.toml")


def test_the_loader_rejects_an_alert_on_an_unknown_item():
    raw = phq9_raw()
    raw["alerts"][0]["item"] = "phq9.q10"
    with pytest.raises(InstrumentDefinitionError, match="unknown item id 'phq9.q10'"):
        _parse(raw, where="phq9.toml")


def test_the_loader_rejects_a_misspelt_key_instead_of_dropping_the_rule():
    raw = phq9_raw()
    raw["change"]["reponse_min_drop_fraction"] = raw["change"].pop("response_min_drop_fraction")
    with pytest.raises(InstrumentDefinitionError, match="unknown keys \\['reponse_min_drop_fraction'\\]"):
        _parse(raw, where="phq9.toml")
