"""record_medications stores the core's interaction flags for free text and ticked classes."""

from __future__ import annotations

import pytest

from ketacare.intake.models import MedicationList
from ketacare.intake.services import IntakeInputError, record_medications

pytestmark = pytest.mark.django_db


def _flags(personas, medications, classes=()):
    row = record_medications(
        patient=personas.a1,
        user=personas.clinician_a,
        medications=medications,
        drug_classes=classes,
        # An empty list says the patient now takes none (an empty list alone is refused).
        no_medicines=not (medications or classes),
    )
    return {flag["id"]: flag for flag in row.flags}, row


@pytest.mark.parametrize(
    ("text", "class_id", "level"),
    [
        ("lorazepam 1 mg at night", "benzodiazepines", "precaution"),
        ("Xanax 0.5 mg", "benzodiazepines", "precaution"),
        ("phenelzine 15 mg three times a day", "maois", "precaution"),
        ("methylphenidate 20 mg", "psychostimulants", "precaution"),
        ("Adderall XR 10 mg", "psychostimulants", "precaution"),
        ("lamotrigine 200 mg", "lamotrigine", "note"),
    ],
)
def test_an_interacting_medicine_is_flagged_with_its_class_level_and_sources(personas, text, class_id, level):
    flags, _ = _flags(personas, [text])
    assert set(flags) == {class_id}
    assert flags[class_id]["level"] == level
    assert flags[class_id]["medications"] == [text]
    assert flags[class_id]["sources"]


def test_medicines_that_interact_with_nothing_are_listed_as_unrecognised(personas):
    flags, row = _flags(personas, ["sertraline 100 mg", "lorazepam 1 mg"])
    assert set(flags) == {"benzodiazepines"}
    assert row.unrecognised_medications == ["sertraline 100 mg"]


def test_a_ticked_class_is_flagged_without_inventing_a_medicine_name(personas):
    flags, row = _flags(personas, ["Brand-X sleeping tablet"], ["benzodiazepines"])
    assert flags["benzodiazepines"]["medications"] == ["Benzodiazepines (class ticked)"]
    assert row.drug_classes == ["benzodiazepines"]
    assert row.medications == ["Brand-X sleeping tablet"]


def test_a_ticked_class_already_named_in_the_text_is_not_listed_twice(personas):
    flags, _ = _flags(personas, ["clonazepam 0.5 mg"], ["benzodiazepines"])
    assert flags["benzodiazepines"]["medications"] == ["clonazepam 0.5 mg"]


def test_an_unknown_class_names_the_field_and_the_allowed_classes_and_writes_nothing(personas):
    with pytest.raises(IntakeInputError) as caught:
        _flags(personas, ["x"], ["antibiotics"])
    assert caught.value.field == "drug_classes"
    assert "benzodiazepines" in str(caught.value)
    assert not MedicationList.objects.exists()


def test_a_new_list_supersedes_the_previous_one(personas):
    _, first = _flags(personas, ["lorazepam"])
    _, second = _flags(personas, [])
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "current")
    assert second.flags == [] and second.no_medicines
