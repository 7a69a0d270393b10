"""The item texts and answer labels of the four instruments proof-read against their published forms
(docs/decisions/0014-patient-truth.md, "Proof-reading of instrument texts"): each item says its published symptom or
item name, in the published order, and the answer labels are the published ones. The texts themselves
are short labels or paraphrases where the form is copyrighted (MADRS, Y-BOCS, BPI), so the test pins
the name each item must carry, not the whole sentence."""

from __future__ import annotations

import re

import pytest

from ketacare.core.instruments import get_instrument, instruments

# Published item names in published order: MADRS (Montgomery & Åsberg 1979), Y-BOCS (Goodman et al.
# 1989, items 1-5 obsessions, 6-10 compulsions), BPI short form items 3-6 and 9A-9G (Cleeland), PCL-5
# items 1-20 (Weathers et al. 2013; the key words of each DSM-5 symptom).
PUBLISHED_ITEMS: dict[str, list[str]] = {
    "madrs": [
        "apparent sadness", "reported sadness", "inner tension", "reduced sleep", "reduced appetite",
        "concentration difficulties", "lassitude", "inability to feel", "pessimistic thoughts",
        "suicidal thoughts",
    ],
    "ybocs": [
        "time occupied by obsessive thoughts", "interference due to obsessive thoughts",
        "distress associated with obsessive thoughts", "resistance against obsessions",
        "degree of control over obsessive thoughts", "time spent performing compulsive behaviours",
        "interference due to compulsive behaviours", "distress associated with compulsive behaviour",
        "resistance against compulsions", "degree of control over compulsive behaviour",
    ],
    "bpi_sf": [
        "worst", "least", "average", "right now", "general activity", "mood", "walking ability",
        "normal work", "relations with other people", "sleep", "enjoyment of life",
    ],
    "pcl5": [
        "memories", "dreams", "happening again", "upset when something reminds you",
        "physical reactions", "avoiding memories", "avoiding external reminders", "trouble remembering",
        "negative beliefs", "blaming", "negative feelings", "loss of interest", "distant or cut off",
        "positive feelings", "irritable", "too many risks", "watchful or on guard", "jumpy",
        "concentrating", "falling or staying asleep",
    ],
}  # fmt: skip

PUBLISHED_LABELS: dict[str, list[str]] = {
    "pcl5": ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"],
    "ybocs": ["None", "Mild", "Moderate", "Severe", "Extreme"],
}


@pytest.mark.parametrize("instrument_id", sorted(PUBLISHED_ITEMS))
def test_each_item_names_its_published_item_in_the_published_order(instrument_id: str) -> None:
    items = get_instrument(instrument_id).items
    assert len(items) == len(PUBLISHED_ITEMS[instrument_id])
    for item, name in zip(items, PUBLISHED_ITEMS[instrument_id], strict=True):
        assert name in item.text.lower(), f"{item.id}: {item.text!r} does not name {name!r}"


@pytest.mark.parametrize("instrument_id", sorted(PUBLISHED_LABELS))
def test_the_answer_labels_are_the_published_ones(instrument_id: str) -> None:
    for item in get_instrument(instrument_id).items:
        assert [o.label for o in item.options] == PUBLISHED_LABELS[instrument_id], item.id


def test_the_bpi_anchors_and_the_madrs_range_are_the_published_ones() -> None:
    bpi = get_instrument("bpi_sf")
    severity, interference = bpi.items[0], bpi.items[4]
    assert [o.label for o in severity.options][0::10] == ["No pain", "Pain as bad as you can imagine"]
    assert [o.label for o in interference.options][0::10] == ["Does not interfere", "Completely interferes"]
    assert all([o.value for o in item.options] == list(range(11)) for item in bpi.items)
    madrs = get_instrument("madrs")
    assert all([o.value for o in item.options] == list(range(7)) for item in madrs.items)


def test_no_instrument_text_repeats_a_word() -> None:
    # The form reads "Think about {recall period}."; a period that starts with "the the" once read
    # "Think about the the last 2 weeks".
    doubled = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
    for instrument in instruments():
        texts = [instrument.title, instrument.instructions or "", f"Think about {instrument.recall_period}."]
        texts += [item.text for item in instrument.items]
        for text in texts:
            assert not doubled.search(text), f"{instrument.id}: {text!r}"
