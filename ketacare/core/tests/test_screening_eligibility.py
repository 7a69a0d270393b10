"""Screening maps conditions and free-text medicines to flags and an eligibility decision."""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import conditions, interactions, source_ids
from ketacare.core.screening import ScreeningError, match_medication, screen

CONTRAINDICATIONS = [c.id for c in conditions() if c.level == "contraindication"]
PRECAUTIONS = [c.id for c in conditions() if c.level == "precaution"]


def test_nothing_to_report_is_eligible() -> None:
    result = screen([], [])
    assert result.eligibility == "eligible"
    assert result.reasons == () and result.unrecognised_medications == ()


@pytest.mark.parametrize("condition_id", CONTRAINDICATIONS)
def test_a_contraindication_makes_the_patient_not_eligible(condition_id: str) -> None:
    result = screen([condition_id], [])
    assert result.eligibility == "not_eligible"
    assert [reason.id for reason in result.contraindications] == [condition_id]


def test_the_label_contraindications_of_the_brief_are_all_there() -> None:
    # History of intracerebral haemorrhage, aneurysmal vascular disease or AVM -> contraindicated [WCM-Label].
    assert {
        "intracerebral_hemorrhage_history",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "ketamine_hypersensitivity",
    } <= set(CONTRAINDICATIONS)


@pytest.mark.parametrize("condition_id", PRECAUTIONS)
def test_a_precaution_makes_the_patient_eligible_with_precautions(condition_id: str) -> None:
    result = screen([condition_id], [])
    assert result.eligibility == "eligible_with_precautions"
    assert [reason.id for reason in result.precautions] == [condition_id]


def test_a_contraindication_outranks_a_precaution_and_comes_first() -> None:
    result = screen(["pregnancy", "arteriovenous_malformation"], ["lorazepam"])
    assert result.eligibility == "not_eligible"
    assert [reason.level for reason in result.reasons] == ["contraindication", "precaution", "precaution"]


@pytest.mark.parametrize(
    ("text", "class_id"),
    [
        ("lorazepam", "benzodiazepines"),
        ("LORAZEPAM 1 mg at night", "benzodiazepines"),
        ("Xanax 0.5mg", "benzodiazepines"),
        ("clonazepam", "benzodiazepines"),
        ("Diazepam", "benzodiazepines"),
        ("zolpidem 10 mg", "sedative_hypnotics"),
        ("Adderall XR", "psychostimulants"),
        ("methylphenidate", "psychostimulants"),
        ("modafinil", "psychostimulants"),
        ("phenelzine", "maois"),
        ("Parnate", "maois"),
        ("oxycodone", "opioids"),
        ("Tramadol 50mg", "opioids"),
        ("alcohol", "alcohol"),
        ("wine most evenings", "alcohol"),
        ("Lamotrigine 200 mg", "lamotrigine"),
        ("Flonase", "nasal_steroids_decongestants"),
        ("amlodipine", "antihypertensives"),
    ],
)
def test_it_recognises_common_medicine_names_case_insensitively(text: str, class_id: str) -> None:
    assert [interaction.id for interaction in match_medication(text)] == [class_id]


def test_one_entry_naming_two_medicines_flags_both_classes() -> None:
    assert {i.id for i in match_medication("Percocet and Valium")} == {"opioids", "benzodiazepines"}


def test_names_match_whole_words_only() -> None:
    # "wine" must not match inside "twine", nor "mao" inside a longer word.
    assert match_medication("twine") == ()


def test_an_interaction_precaution_makes_the_patient_eligible_with_precautions() -> None:
    result = screen([], ["Xanax 0.5 mg", "clonazepam"])
    assert result.eligibility == "eligible_with_precautions"
    (reason,) = result.reasons
    assert reason.kind == "interaction" and reason.id == "benzodiazepines"
    assert reason.medications == ("Xanax 0.5 mg", "clonazepam")


def test_a_note_level_interaction_does_not_change_eligibility() -> None:
    result = screen([], ["lamotrigine"])
    assert result.eligibility == "eligible"
    assert [(reason.id, reason.level) for reason in result.reasons] == [("lamotrigine", "note")]


def test_an_unknown_medicine_is_kept_as_unrecognised_not_an_error() -> None:
    result = screen([], ["sertraline 100 mg", "Vitamin D", "  ", "diazepam"])
    assert result.unrecognised_medications == ("sertraline 100 mg", "Vitamin D")
    assert result.eligibility == "eligible_with_precautions"


def test_an_unknown_condition_id_is_an_error_naming_it_and_listing_the_allowed_ids() -> None:
    with pytest.raises(ScreeningError) as caught:
        screen(["psychosis", "broken_leg"], [])
    message = str(caught.value)
    assert "'broken_leg'" in message and "aneurysmal_vascular_disease" in message and "pregnancy" in message
    assert isinstance(caught.value, ValueError)


def test_a_condition_listed_twice_gives_one_reason() -> None:
    assert len(screen(["psychosis", "psychosis"], []).reasons) == 1


def test_it_fills_the_rems_form_medicine_boxes() -> None:
    # REMS patient monitoring form: benzodiazepines, non-benzodiazepine sedative hypnotics,
    # psychostimulants and MAOIs are each recorded yes/no [REMS-PMF].
    result = screen([], ["lorazepam", "zolpidem", "Ritalin", "selegiline", "oxycodone"])
    assert result.rems_form_items == {
        "benzodiazepines",
        "non_benzodiazepine_sedative_hypnotics",
        "psychostimulants",
        "maois",
    }


def test_every_reason_cites_sources_that_resolve() -> None:
    result = screen(
        [c.id for c in conditions()],
        [name for interaction in interactions() for name in interaction.names[:1]],
    )
    known = source_ids()
    assert len(result.reasons) == len(conditions()) + len(interactions())
    for reason in result.reasons:
        assert reason.sources and set(reason.sources) <= known, reason.id
