"""The medicines section says what each tick and each classification covers.

The class picker is this patient's list only. A prescriber's classification of an unrecognised line is
kept for the clinic under the medicine name in its box (the whole line unless shortened), and applies
from now on to every patient of the clinic on every line that contains that name.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ketacare.intake.models import MedicationList, MedicineClassification
from ketacare.intake.services import record_medications
from ketacare.intake.tests.conftest import intake_url
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db


def _unrecognised(patient: Any) -> list[str]:
    return MedicationList.objects.get(patient=patient, status="current").unrecognised_medications


def _section(page: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert found, f"no {section_id} section"
    return page_text(found.group(0))


def test_the_page_says_the_classes_are_this_patients_and_a_classification_the_clinics(personas, client_for):
    record_medications(
        patient=personas.a1, user=personas.clinician_a, medications=["sertraline 100 mg daily"]
    )
    page = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    text = _section(page, "intake-medications")
    assert (
        "Medicine classes this patient takes Tick a class when a medicine listed above belongs to it but is "
        "not flagged under Interaction flags below. Applies to this patient's list only." in text
    )
    assert (
        "Classify each for the clinic, by the medicine name in its box. The answer applies from now on to "
        "every patient of the clinic, on every medicine line that contains that name." in text
    )
    assert "Shorten the name to the medicine alone (“sertraline”, not “sertraline 100 mg daily”)" in text
    assert "sertraline 100 mg daily Medicine name is choose…" in text
    assert 'name="name" value="sertraline 100 mg daily"' in page  # the box starts with the whole line


def test_a_name_classified_from_one_line_covers_every_dose_for_every_patient(personas, client_for):
    record_medications(
        patient=personas.a1, user=personas.clinician_a, medications=["sertraline 100 mg daily"]
    )
    answer = client_for("clinician_a").post(
        intake_url("classify_medicine", personas.a1),
        {"line": "sertraline 100 mg daily", "name": "sertraline", "class_id": "no_interaction"},
        HTTP_HX_REQUEST="true",
    )
    text = page_text(answer.content.decode())
    assert (
        "“sertraline”: No interaction (none of these classes applies). Kept for the clinic: it applies to "
        "every patient, on every medicine line containing that name." in text
    )
    assert _unrecognised(personas.a1) == []
    record_medications(patient=personas.a2, user=personas.clinician_a, medications=["Sertraline 50 mg"])
    assert _unrecognised(personas.a2) == []


def test_a_name_that_is_not_in_the_line_is_refused_and_nothing_is_kept(personas, client_for):
    record_medications(
        patient=personas.a1, user=personas.clinician_a, medications=["sertraline 100 mg daily"]
    )
    answer = client_for("clinician_a").post(
        intake_url("classify_medicine", personas.a1),
        {"line": "sertraline 100 mg daily", "name": "zoloft", "class_id": "no_interaction"},
        HTTP_HX_REQUEST="true",
    )
    text = page_text(answer.content.decode())
    assert (
        "Medicine name: “zoloft” is not in “sertraline 100 mg daily”: give words of that line, such as the "
        "medicine's name." in text
    )
    assert not MedicineClassification.objects.exists()
    assert _unrecognised(personas.a1) == ["sertraline 100 mg daily"]
