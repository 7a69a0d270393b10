"""Screening reads the patient's age from the date of birth and the screening date the caller passes in.

A patient under 18 is never "eligible" with nothing found: esketamine is licensed for adults only and
ketamine for depression under 18 is outside the evidence KetaCare cites, so both are precautions for
the prescriber. 65 or over is a note (the esketamine label's day-1 dose changes). No clock is read.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ketacare.core.knowledge import source_ids
from ketacare.core.protocols import get_protocol
from ketacare.core.screening import (
    ADULT_AGE_YEARS,
    OLDER_ADULT_AGE_YEARS,
    ScreeningError,
    age_reasons,
    age_years_on,
    rems_form_item_name,
    screen,
)

SCREENED_ON = dt.date(2026, 12, 7)


def test_a_six_year_old_is_not_eligible_without_the_prescribers_review() -> None:
    result = screen([], [], date_of_birth=dt.date(2020, 1, 1), screened_on=SCREENED_ON)
    assert result.eligibility == "eligible_with_precautions"
    assert result.age_years == 6
    assert [(r.id, r.kind, r.level) for r in result.reasons] == [
        ("under_18_esketamine", "age", "precaution"),
        ("under_18_ketamine", "age", "precaution"),
    ]
    esketamine, ketamine = result.reasons
    assert "6 years old on the screening date" in esketamine.detail
    assert "licensed for adults" in esketamine.name and esketamine.evidence == "label"
    assert {"HCP-Dose", "MIMS-HK"} <= set(esketamine.sources)
    # No source says what to do for a minor given racemic ketamine: marked as clinic practice.
    assert ketamine.evidence == "practice" and "clinic-practice" in ketamine.sources
    assert "parent or legal guardian" in ketamine.detail


def test_the_day_before_the_18th_birthday_is_a_minor_and_the_birthday_is_an_adult() -> None:
    born = dt.date(2008, 12, 7)
    day_before = screen([], [], date_of_birth=born, screened_on=dt.date(2026, 12, 6))
    birthday = screen([], [], date_of_birth=born, screened_on=dt.date(2026, 12, 7))
    assert (day_before.age_years, day_before.eligibility) == (17, "eligible_with_precautions")
    assert (birthday.age_years, birthday.eligibility, birthday.reasons) == (18, "eligible", ())


def test_a_29_february_birthday_counts_from_1_march_in_other_years() -> None:
    born = dt.date(2008, 2, 29)
    assert age_years_on(born, dt.date(2026, 2, 28)) == 17
    assert age_years_on(born, dt.date(2026, 3, 1)) == 18


def test_a_minor_with_a_contraindication_is_not_eligible_with_the_contraindication_first() -> None:
    result = screen(
        ["arteriovenous_malformation"],
        ["lorazepam"],
        date_of_birth=dt.date(2012, 5, 1),
        screened_on=SCREENED_ON,
    )
    assert result.eligibility == "not_eligible"
    assert [r.id for r in result.reasons] == [
        "arteriovenous_malformation",
        "under_18_esketamine",
        "under_18_ketamine",
        "benzodiazepines",
    ]


def test_65_or_over_is_a_note_that_leaves_the_result_eligible() -> None:
    at_64 = screen([], [], date_of_birth=dt.date(1961, 12, 8), screened_on=SCREENED_ON)
    at_65 = screen([], [], date_of_birth=dt.date(1961, 12, 7), screened_on=SCREENED_ON)
    assert (at_64.age_years, at_64.reasons) == (64, ())
    assert at_65.age_years == 65 and at_65.eligibility == "eligible"
    (note,) = at_65.reasons
    assert (note.id, note.level, note.evidence) == ("age_65_or_over", "note", "label")
    assert "28 mg" in note.detail and "MIMS-HK" in note.sources


def test_an_adult_between_18_and_64_adds_nothing() -> None:
    assert age_reasons(18) == () and age_reasons(40) == () and age_reasons(64) == ()


def test_the_age_thresholds_match_the_esketamine_protocols() -> None:
    # The label facts screening cites are the ones the dose planner applies.
    for protocol_id in ("esketamine_trd", "esketamine_mdsi"):
        assert get_protocol(protocol_id).dose.min_age_years == ADULT_AGE_YEARS
    trd = [r for r in get_protocol("esketamine_trd").first_doses if r.population is None]
    assert [r.first_dose_mg for r in trd if r.applies_to_age(OLDER_ADULT_AGE_YEARS - 1)] == [56]
    assert [r.first_dose_mg for r in trd if r.applies_to_age(OLDER_ADULT_AGE_YEARS)] == [28]
    mdsi = get_protocol("esketamine_mdsi").first_doses
    assert not [r for r in mdsi if r.applies_to_age(OLDER_ADULT_AGE_YEARS)]


def test_every_age_finding_cites_sources_the_knowledge_base_holds() -> None:
    known = set(source_ids())
    for age in (6, 70):
        for reason in age_reasons(age):
            assert reason.sources and set(reason.sources) <= known, reason.id


def test_without_a_date_of_birth_the_age_is_not_screened() -> None:
    result = screen([], [])
    assert (result.eligibility, result.age_years, result.reasons) == ("eligible", None, ())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_of_birth": dt.date(2000, 1, 1)}, "date_of_birth and screened_on go together"),
        ({"screened_on": SCREENED_ON}, "date_of_birth and screened_on go together"),
        ({"date_of_birth": dt.date(2027, 1, 1), "screened_on": SCREENED_ON}, "is after the screening date"),
        ({"date_of_birth": dt.date(1800, 1, 1), "screened_on": SCREENED_ON}, "out of range; expected 0-130"),
        (
            {"date_of_birth": dt.datetime(2000, 1, 1, tzinfo=dt.UTC), "screened_on": SCREENED_ON},
            "date_of_birth must be a date",
        ),
    ],
)
def test_a_bad_age_input_is_refused_naming_it(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScreeningError, match=message):
        screen([], [], **kwargs)  # type: ignore[arg-type]


def test_the_rems_form_boxes_have_names_in_words() -> None:
    assert (
        rems_form_item_name("non_benzodiazepine_sedative_hypnotics")
        == "Non-benzodiazepine sedative hypnotics"
    )
    assert rems_form_item_name("maois") == "Monoamine oxidase inhibitors (MAOIs)"
