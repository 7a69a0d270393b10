"""Only a prescriber at the patient's clinic records the eligibility decision; never more permissive than the core."""

from __future__ import annotations

import pytest

from ketacare.intake.models import ScreeningAssessment
from ketacare.intake.services import (
    IntakeInputError,
    IntakeNotAllowedError,
    record_eligibility_decision,
)
from ketacare.intake.tests.conftest import intake_url
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db


def _screen(personas, conditions=()):
    return screened(patient=personas.a1, user=personas.clinician_a, conditions_present=list(conditions))


def test_a_prescriber_records_the_decision_with_time_and_name(personas):
    assessment = _screen(personas)
    decided = record_eligibility_decision(
        assessment=assessment, user=personas.clinician_a, decision="eligible"
    )
    assert decided.decision == "eligible"
    assert decided.decided_by == personas.clinician_a
    assert decided.decided_at is not None


def test_a_nurse_cannot_decide_eligibility(personas, nurse_a):
    assessment = _screen(personas)
    with pytest.raises(IntakeNotAllowedError):
        record_eligibility_decision(assessment=assessment, user=nurse_a, decision="eligible")
    assessment.refresh_from_db()
    assert assessment.decision == "" and assessment.decided_by is None


def test_a_clinic_admin_cannot_decide_eligibility(personas):
    assessment = _screen(personas)
    with pytest.raises(IntakeNotAllowedError):
        record_eligibility_decision(assessment=assessment, user=personas.admin_a, decision="eligible")


def test_a_prescriber_at_another_clinic_cannot_decide(personas):
    assessment = _screen(personas)
    with pytest.raises(IntakeNotAllowedError):
        record_eligibility_decision(assessment=assessment, user=personas.clinician_b, decision="eligible")


def test_a_nurse_posting_a_decision_over_htmx_sees_why_and_nothing_is_written(personas, nurse_client):
    assessment = _screen(personas)
    response = nurse_client.post(
        intake_url("decision", personas.a1),
        {"assessment": str(assessment.public_id), "decision": "eligible"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"Only a prescriber" in response.content
    assert not ScreeningAssessment.objects.exclude(decision="").exists()


def test_a_nurse_posting_a_decision_without_htmx_is_sent_back_and_nothing_is_written(personas, nurse_client):
    assessment = _screen(personas)
    response = nurse_client.post(
        intake_url("decision", personas.a1),
        {"assessment": str(assessment.public_id), "decision": "eligible"},
        follow=True,
    )
    assert b"Only a prescriber" in response.content
    assert not ScreeningAssessment.objects.exclude(decision="").exists()


def test_a_contraindication_cannot_be_decided_away(personas):
    assessment = _screen(personas, ["arteriovenous_malformation"])
    with pytest.raises(IntakeInputError) as caught:
        record_eligibility_decision(assessment=assessment, user=personas.clinician_a, decision="eligible")
    assert caught.value.field == "decision"
    assert "allowed: Not eligible" in str(caught.value) and "not_eligible" not in str(caught.value)


def test_a_prescriber_may_be_stricter_than_the_core(personas):
    assessment = _screen(personas)
    decided = record_eligibility_decision(
        assessment=assessment, user=personas.clinician_a, decision="not_eligible", note="family history"
    )
    assert decided.decision == "not_eligible"


def test_deciding_with_precautions_needs_a_note(personas):
    assessment = _screen(personas, ["uncontrolled_hypertension"])
    with pytest.raises(IntakeInputError) as caught:
        record_eligibility_decision(
            assessment=assessment, user=personas.clinician_a, decision="eligible_with_precautions"
        )
    assert caught.value.field == "note"


def test_a_superseded_screening_cannot_be_decided(personas):
    old = _screen(personas)
    _screen(personas)
    with pytest.raises(IntakeInputError) as caught:
        record_eligibility_decision(assessment=old, user=personas.clinician_a, decision="eligible")
    assert caught.value.field == "assessment"


def test_a_decision_is_made_once(personas):
    assessment = _screen(personas)
    record_eligibility_decision(assessment=assessment, user=personas.clinician_a, decision="eligible")
    with pytest.raises(IntakeInputError):
        record_eligibility_decision(assessment=assessment, user=personas.clinician_a, decision="not_eligible")


def test_the_page_offers_only_the_decisions_allowed_for_the_result(personas, client_for):
    _screen(personas, ["aneurysmal_vascular_disease"])
    text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    assert 'value="not_eligible"' in text
    assert 'value="eligible"' not in text and 'value="eligible_with_precautions"' not in text


def test_a_decision_refused_for_a_missing_note_is_shown_again_with_the_same_choices(personas, client_for):
    assessment = _screen(personas, ["uncontrolled_hypertension"])
    response = client_for("clinician_a").post(
        intake_url("decision", personas.a1),
        {"assessment": str(assessment.public_id), "decision": "eligible_with_precautions"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "Required" in text and "note is required" not in text  # under the note, in words
    # As before the mistake: the decisions this screening allows, no reason field (nothing on file yet).
    assert 'value="eligible_with_precautions"' in text and 'value="eligible"' not in text
    assert "Reason for changing the decision" not in text
    assessment.refresh_from_db()
    assert assessment.decision == ""
