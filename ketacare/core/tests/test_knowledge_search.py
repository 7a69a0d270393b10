"""Symptom and education search match plain words, names and synonyms."""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import search_education, search_symptoms


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        ("Headache", "headache"),
        ("I feel sick", "nausea"),
        ("light headed", "dizziness"),
        ("Light-headed!", "dizziness"),
        ("dizz", "dizziness"),
        ("pins and needles", "numbness_tingling"),
        ("chest pain", "chest_pain"),
        ("I can't breathe", "difficulty_breathing"),
        ("blood in urine", "urinary_symptoms"),
        ("urgency", "urinary_symptoms"),
        ("racing heart", "fast_heartbeat"),
        ("high bp", "raised_blood_pressure"),
    ],
)
def test_it_finds_a_symptom_by_name_or_synonym(query: str, expected_id: str) -> None:
    assert search_symptoms(query)[0].id == expected_id


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        # Everyday words for a red flag, as a patient types them on a phone.
        ("tight chest", "chest_pain"),
        ("my chest hurts", "chest_pain"),
        ("cant pee", "urinary_symptoms"),
        ("can't pee", "urinary_symptoms"),
        ("can\u2019t pee", "urinary_symptoms"),  # a phone keyboard's curly apostrophe
        ("Can't pass urine", "urinary_symptoms"),
        ("cannot pass urine", "urinary_symptoms"),
        ("unable to urinate", "urinary_symptoms"),
        ("peeing blood", "urinary_symptoms"),
        ("cant catch my breath", "difficulty_breathing"),
        ("blacked out", "unrousable_or_fainting"),
        ("throat feels tight", "face_throat_swelling"),
        ("having a fit", "seizure"),
        # And for common side effects.
        ("feeling sick", "nausea"),
        ("sore head", "headache"),
        ("heart thumping", "fast_heartbeat"),
        ("no energy", "fatigue"),
        ("zoned out", "dissociation"),
    ],
)
def test_it_finds_a_symptom_by_everyday_words(query: str, expected_id: str) -> None:
    assert search_symptoms(query)[0].id == expected_id


def test_a_missing_apostrophe_finds_the_same_symptom() -> None:
    # Apostrophes are dropped, not split on: "cant" and "can't" are one word.
    assert [m.id for m in search_symptoms("cant pee")] == [m.id for m in search_symptoms("can't pee")]


def test_an_exact_match_is_marked_and_comes_first() -> None:
    matches = search_symptoms("headache")
    assert matches[0].id == "headache" and matches[0].exact


def test_a_possible_red_flag_is_never_left_out_of_the_results() -> None:
    # "headache" is an expected effect, but a sudden severe headache is a hypertensive-crisis sign.
    matches = search_symptoms("headache")
    assert ("red_flag", "hypertensive_crisis_signs") in [(m.kind, m.id) for m in matches]


def test_red_flags_come_before_side_effects_when_the_match_is_equally_good() -> None:
    kinds = [m.kind for m in search_symptoms("seeing")]
    assert kinds == sorted(kinds, key=lambda kind: kind != "red_flag")


def test_an_empty_or_unmatched_query_finds_nothing() -> None:
    assert search_symptoms("") == ()
    assert search_symptoms("   ?! ") == ()
    assert search_symptoms("purple elephant") == ()


def test_short_words_must_match_whole_words() -> None:
    # "he" must not match every word starting with "he" (headache, heart ...).
    assert search_symptoms("he") == ()


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        ("When can I drive?", "driving"),
        ("how likely is it to work", "success_rates"),
        ("how long does it last", "how_long_does_it_last"),
        ("blood pressure", "blood_pressure"),
        ("fasting", "preparation"),
        ("Can I become addicted?", "is_it_addictive"),
    ],
)
def test_it_finds_an_education_entry_by_plain_words(query: str, expected_id: str) -> None:
    assert search_education(query)[0].id == expected_id


def test_education_search_ignores_common_words() -> None:
    assert search_education("what is the") == ()


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        # A sentence, not a synonym: its small words are ignored and an extra word costs nothing.
        ("burning when I pee", "urinary_symptoms"),
        ("it burns when I pee", "urinary_symptoms"),
        ("I feel like I want to die", "suicidal_thoughts_without_plan"),
        ("my chest hurts", "chest_pain"),
        ("can't stop shaking", "seizure"),
        ("my chest really hurts today", "chest_pain"),
        ("I have a headache", "headache"),
    ],
)
def test_a_sentence_finds_the_symptom_it_describes(query: str, expected_id: str) -> None:
    assert search_symptoms(query)[0].id == expected_id


def test_a_sentence_of_small_words_finds_nothing() -> None:
    assert search_symptoms("when is it") == ()
    assert search_symptoms("I") == ()


def test_a_word_that_alone_says_little_does_not_bring_in_a_red_flag() -> None:
    # "hurts" and "can't" are in many red flags' words; a headache is no sign of chest pain.
    assert [m.id for m in search_symptoms("my head hurts")][:1] == ["headache"]
    assert "chest_pain" not in {m.id for m in search_symptoms("my head hurts")}
    assert "difficulty_breathing" not in {m.id for m in search_symptoms("can't stop shaking")}


def test_a_sentence_of_two_symptoms_finds_both_the_red_flag_first() -> None:
    ids = [m.id for m in search_symptoms("my head hurts and it burns when I pee")]
    assert ids[:2] == ["urinary_symptoms", "headache"]
    ids = [m.id for m in search_symptoms("I keep shaking and feel dizzy")]
    assert {"seizure", "dizziness"} <= set(ids)
