"""assess_screening stores exactly what the core's screen() computed: eligible, with precautions, not eligible."""

from __future__ import annotations

import pytest

from ketacare.core.knowledge import conditions
from ketacare.intake.models import ScreeningAssessment
from ketacare.intake.services import IntakeInputError, record_medications
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db


def test_a_patient_with_nothing_ticked_and_no_medicines_is_eligible(personas):
    assessment = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=[])
    assert assessment.eligibility == "eligible"
    assert assessment.reasons == []
    assert assessment.clinic_id == personas.clinic_a.pk and assessment.patient_id == personas.a1.pk


def test_every_checklist_condition_is_stored_as_an_explicit_answer(personas):
    assessment = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=["pregnancy"])
    assert set(assessment.answers) == {condition.id for condition in conditions()}
    assert assessment.answers["pregnancy"] is True
    assert assessment.answers["psychosis"] is False


def test_uncontrolled_hypertension_makes_the_patient_eligible_with_precautions(personas):
    assessment = screened(
        patient=personas.a1, user=personas.clinician_a, conditions_present=["uncontrolled_hypertension"]
    )
    assert assessment.eligibility == "eligible_with_precautions"
    (reason,) = assessment.reasons
    assert reason["id"] == "uncontrolled_hypertension"
    assert reason["level"] == "precaution"
    assert "EU-SmPC" in reason["sources"]


@pytest.mark.parametrize(
    "condition_id",
    ["aneurysmal_vascular_disease", "arteriovenous_malformation", "intracerebral_hemorrhage_history"],
)
def test_a_label_contraindication_makes_the_patient_not_eligible(personas, condition_id):
    assessment = screened(
        patient=personas.a1,
        user=personas.clinician_a,
        conditions_present=["uncontrolled_hypertension", condition_id],
    )
    assert assessment.eligibility == "not_eligible"
    # Most serious first, each with the sources that back it.
    assert assessment.reasons[0]["id"] == condition_id
    assert assessment.reasons[0]["level"] == "contraindication"
    assert "WCM-Label" in assessment.reasons[0]["sources"]


def test_the_current_medication_list_is_screened_with_the_checklist(personas):
    record_medications(patient=personas.a1, user=personas.clinician_a, medications=["lorazepam 1 mg"])
    assessment = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=[])
    assert assessment.eligibility == "eligible_with_precautions"
    assert assessment.medications == ["lorazepam 1 mg"]
    assert [r["id"] for r in assessment.reasons] == ["benzodiazepines"]
    assert assessment.rems_form_items == ["benzodiazepines"]


def test_a_new_screening_supersedes_the_previous_one(personas):
    first = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=[])
    second = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=["psychosis"])
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "current")


def test_an_unknown_condition_names_the_field_and_the_allowed_ids_and_writes_nothing(personas):
    with pytest.raises(IntakeInputError) as caught:
        screened(patient=personas.a1, user=personas.clinician_a, conditions_present=["headache"])
    assert caught.value.field == "conditions"
    assert "'headache'" in str(caught.value) and "arteriovenous_malformation" in str(caught.value)
    assert not ScreeningAssessment.objects.exists()
