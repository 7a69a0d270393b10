"""Screening by drug class and the prescriber's classification of unknown medicines (finding 4, decision 0012).

Each test names the sources behind the class (ids in sources.toml).
"""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import conditions, get_interaction
from ketacare.core.screening import (
    NO_INTERACTION,
    ScreeningError,
    classify_medication,
    match_medication,
    normalise_medication_name,
    screen,
)


@pytest.mark.parametrize(
    ("text", "class_id", "source"),
    [
        # CNS depressants: more sedation [LabelText]; gabapentinoids and sedating antihistamines are
        # named as CNS depressants by the FDA [FDA-Gabapentinoids2019].
        ("pregabalin 75 mg twice a day", "gabapentinoids", "FDA-Gabapentinoids2019"),
        ("Gabapentin 300mg", "gabapentinoids", "FDA-Gabapentinoids2019"),
        ("Lyrica", "gabapentinoids", "FDA-Gabapentinoids2019"),
        ("quetiapine 25 mg at night", "sedating_antipsychotics", "LabelText"),
        ("Seroquel", "sedating_antipsychotics", "LabelText"),
        ("diphenhydramine (Benadryl) to sleep", "sedating_antihistamines", "FDA-Gabapentinoids2019"),
        ("Nytol", "sedating_antihistamines", "FDA-Gabapentinoids2019"),
        ("cannabis most evenings", "cannabis", "Nervana"),
        ("smokes weed", "cannabis", "Nervana"),
        ("oxycodone 5 mg", "opioids", "LabelText"),
        ("codine linctus", "opioids", "LabelText"),  # a common misspelling
        # MAO inhibitors may raise blood pressure [MIMS-PH-DDI]; linezolid and methylene blue are MAOIs
        # [FDA-MAOI-2011].
        ("linezolid 600 mg", "maois", "FDA-MAOI-2011"),
        ("Zyvox", "maois", "FDA-MAOI-2011"),
        ("methylene blue infusion last week", "maois", "FDA-MAOI-2011"),
        ("Adderal XR", "psychostimulants", "REMS-PMF"),  # misspelling
        ("lamotrigene 100", "lamotrigine", "Anand2000"),  # misspelling
        # Avoid other NMDA antagonists [Memantine-SmPC]; inducers lower ketamine exposure [Peltoniemi2012].
        ("memantine 10 mg", "nmda_antagonists", "Memantine-SmPC"),
        ("dextromethorphan cough syrup", "nmda_antagonists", "Memantine-SmPC"),
        ("rifampicin", "cyp3a4_inducers", "Peltoniemi2012"),
        ("St John's wort", "cyp3a4_inducers", "Andrade2017-DDI"),
        ("carbamazepine 200 mg", "cyp3a4_inducers", "Andrade2017-DDI"),
    ],
)
def test_finding_4_common_sedating_serotonergic_and_maoi_drugs_are_recognised(
    text: str, class_id: str, source: str
) -> None:
    # Before the safety net pregabalin, gabapentin, quetiapine, diphenhydramine, cannabis and linezolid
    # and methylene blue were all "unrecognised".
    assert class_id in [i.id for i in match_medication(text)]
    assert source in get_interaction(class_id).sources


@pytest.mark.parametrize(
    "text", ["pregabalin", "gabapentin", "quetiapine", "diphenhydramine", "cannabis", "oxycodone"]
)
def test_finding_4_the_sedating_drugs_of_the_issue_are_precautions_not_eligible(text: str) -> None:
    result = screen([], [text])
    assert result.eligibility == "eligible_with_precautions"
    assert result.unrecognised_medications == ()


@pytest.mark.parametrize("text", ["linezolid", "methylene blue"])
def test_finding_4_linezolid_and_methylene_blue_tick_the_rems_maoi_box(text: str) -> None:
    # REMS form: MAOIs yes/no [REMS-PMF].
    result = screen([], [text])
    assert result.rems_form_items == {"maois"}
    assert result.eligibility == "eligible_with_precautions"


def test_finding_4_an_unrecognised_medicine_needs_the_prescribers_classification() -> None:
    result = screen([], ["Brand-X tablets", "lorazepam"])
    assert result.needs_prescriber_classification == ("Brand-X tablets",)
    assert result.classification_complete is False
    assert classify_medication("Brand-X tablets").needs_prescriber_classification


def test_finding_4_the_clinics_classification_is_remembered_and_used() -> None:
    clinic = {normalise_medication_name("Brand-X"): "benzodiazepines", "vitamin d": NO_INTERACTION}
    result = screen([], ["Brand-X tablets 5 mg", "Vitamin D 1000 IU"], clinic_classifications=clinic)
    assert result.classification_complete
    assert result.clinic_classified == (
        ("Brand-X tablets 5 mg", "benzodiazepines"),
        ("Vitamin D 1000 IU", NO_INTERACTION),
    )
    assert result.eligibility == "eligible_with_precautions"
    assert result.rems_form_items == {"benzodiazepines"}
    (reason,) = result.reasons
    assert reason.id == "benzodiazepines" and reason.medications == ("Brand-X tablets 5 mg",)


def test_finding_4_a_clinic_cannot_mark_a_known_interacting_medicine_as_harmless() -> None:
    found = classify_medication("Xanax 0.5 mg", {"xanax": NO_INTERACTION})
    assert found.classified_by == "knowledge" and found.class_ids == ("benzodiazepines",)


def test_finding_4_a_bad_clinic_classification_names_the_allowed_classes() -> None:
    with pytest.raises(
        ScreeningError,
        match=r"clinic classification 'sedatives' for 'brand y' is not a class; allowed: .*no_interaction",
    ):
        screen([], ["brand y"], clinic_classifications={"brand y": "sedatives"})


def test_finding_5_liver_impairment_is_screened_moderate_and_severe() -> None:
    # Moderate: monitor for longer; severe: not recommended [LabelText-8.6].
    ids = {condition.id for condition in conditions()}
    assert {"moderate_hepatic_impairment", "severe_hepatic_impairment"} <= ids
    result = screen(["moderate_hepatic_impairment"], [])
    assert result.eligibility == "eligible_with_precautions"
    assert "LabelText-8.6" in result.reasons[0].sources
