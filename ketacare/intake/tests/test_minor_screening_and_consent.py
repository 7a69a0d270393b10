"""A patient under 18: screening is never "eligible" with nothing found, and the patient cannot sign consent.

The age is the patient's on the clinic's calendar day of the screening (or of the signing), from the
date of birth on record. Times in the messages are said in clinic time, in words.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.test import Client

from conftest import login
from ketacare.intake.models import Consent, ScreeningAssessment, WeightMeasurement
from ketacare.intake.services import (
    IntakeInputError,
    change_eligibility_decision,
    record_consent,
    record_eligibility_decision,
    record_medications,
    withdraw_consent,
)
from ketacare.intake.tests.conftest import intake_url
from ketacare.lib.errors import ConflictError
from ketacare.patients.models import Patient
from tests.support.pathway import medicines_on_file, screened

pytestmark = pytest.mark.django_db

# Mon 7 Dec 2026 10:15 in New York (clinic A).
NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)


def _born(patient, date_of_birth: dt.date):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=date_of_birth)
    patient.refresh_from_db()
    return patient


def _nurse(nurse_a):
    """A nurse logged in at the travelled-to time (a session from the real clock would have expired)."""
    return login(Client(), nurse_a)


def _consent(patient, **overrides):
    data = {
        "document_version": "v3",
        "signed_on": "2026-12-07",
        "signer_name": "Test Child",
        "signer_relationship": "self",
        "routes": ["iv"],
        "signed_form_seen": "on",
    }
    data.update(overrides)
    return data


# --- screening ----------------------------------------------------------------------------------------------


def test_a_six_year_old_screened_over_http_needs_the_prescribers_review(personas, client_for):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with time_machine.travel(NOW, tick=False):
        client = client_for("clinician_a")
        medicines_on_file(child, personas.clinician_a)
        response = client.post(
            intake_url("screening", child), {"all_items_asked": "on"}, HTTP_HX_REQUEST="true"
        )
    text = response.content.decode()
    assessment = ScreeningAssessment.objects.get(patient=child)
    assert assessment.eligibility == "eligible_with_precautions"
    assert [r["id"] for r in assessment.reasons] == ["under_18_esketamine", "under_18_ketamine"]
    assert "Result: Eligible with precautions (needs the prescriber&#x27;s review)" in text
    assert "Under 18: esketamine is licensed for adults only" in text
    assert "The patient is 6 years old on the screening date" in text
    assert "No contraindication, precaution or interaction found" not in text
    assert "Result: Eligible<" not in text


def test_a_minors_screening_cannot_be_decided_eligible_only_with_a_note(personas):
    child = _born(personas.a1, dt.date(2010, 6, 1))
    assessment = screened(patient=child, user=personas.clinician_a, conditions_present=[])
    with pytest.raises(IntakeInputError) as caught:
        record_eligibility_decision(assessment=assessment, user=personas.clinician_a, decision="eligible")
    assert caught.value.field == "decision"
    assert "allowed: Eligible with precautions, Not eligible" in str(caught.value)
    with pytest.raises(IntakeInputError) as caught:
        record_eligibility_decision(
            assessment=assessment, user=personas.clinician_a, decision="eligible_with_precautions"
        )
    assert caught.value.field == "note"
    decided = record_eligibility_decision(
        assessment=assessment,
        user=personas.clinician_a,
        decision="eligible_with_precautions",
        note="Adolescent psychiatrist consulted; parents consent.",
    )
    assert decided.decision == "eligible_with_precautions"


def test_the_age_is_the_one_on_the_clinics_day_of_the_screening(personas):
    # 18 on 7 Dec 2026 in New York; at 02:00 UTC on the 8th it is still the 7th there.
    adult = _born(personas.a1, dt.date(2008, 12, 7))
    late_evening = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(late_evening, tick=False):
        assessment = screened(patient=adult, user=personas.clinician_a, conditions_present=[])
    assert assessment.eligibility == "eligible" and assessment.reasons == []
    day_before = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # 6 Dec in New York: still 17
    with time_machine.travel(day_before, tick=False):
        assessment = screened(patient=adult, user=personas.clinician_a, conditions_present=[])
    assert assessment.eligibility == "eligible_with_precautions"


def test_a_patient_of_70_gets_the_esketamine_age_note_without_changing_the_result(personas, client_for):
    older = _born(personas.a1, dt.date(1956, 3, 1))
    with time_machine.travel(NOW, tick=False):
        client = client_for("clinician_a")
        medicines_on_file(older, personas.clinician_a)
        client.post(intake_url("screening", older), {"all_items_asked": "on"})
        text = client.get(intake_url("page", older)).content.decode()
    assessment = ScreeningAssessment.objects.get(patient=older)
    assert assessment.eligibility == "eligible"
    assert [r["id"] for r in assessment.reasons] == ["age_65_or_over"]
    assert "Age 65 or over" in text and "28 mg rather than 56 mg" in text
    # The source by its title, not by KetaCare's key for it.
    assert "MIMS Hong Kong, Spravato monograph" in text and "[MIMS-HK]" not in text


def test_the_rems_boxes_and_earlier_decisions_read_in_words(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        record_medications(patient=personas.a1, user=personas.clinician_a, medications=["zolpidem 10 mg"])
        assessment = screened(patient=personas.a1, user=personas.clinician_a, conditions_present=[])
        record_eligibility_decision(
            assessment=assessment, user=personas.clinician_a, decision="eligible_with_precautions", note="n"
        )
        change_eligibility_decision(
            assessment=assessment, user=personas.clinician_a, decision="not_eligible", reason="second look"
        )
        # The REMS form is for esketamine: the consent covers it.
        record_consent(
            patient=personas.a1,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=NOW.date(),
            signer_name="Alice",
            signer_relationship="self",
            routes=["esketamine_in"],
            signed_form_seen=True,
        )
        text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    assert "tick yes for Non-benzodiazepine sedative hypnotics" in text
    assert "non_benzodiazepine_sedative_hypnotics" not in text
    assert (
        "Earlier decision: Eligible with precautions (Mon 7 Dec 2026 10:15), changed to Not eligible" in text
    )


# --- consent ------------------------------------------------------------------------------------------------


def test_a_nurse_cannot_record_a_six_year_olds_consent_signed_by_the_patient(personas, nurse_a):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with time_machine.travel(NOW, tick=False):
        response = _nurse(nurse_a).post(intake_url("consent", child), _consent(child))
    assert response.status_code == 422
    text = response.content.decode()
    assert (
        "Must be a parent or legal guardian: the patient was 6 on the signing date (Mon 7 Dec 2026)" in text
    )
    assert "allowed: Parent, Legal guardian" in text
    assert not Consent.objects.exists()


def test_the_refusal_stands_under_the_signer_field_over_htmx(personas, client_for):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            intake_url("consent", child), _consent(child), HTTP_HX_REQUEST="true"
        )
    text = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    signer_field = text[text.index('for="id_signer_relationship"') :]
    assert "Must be a parent or legal guardian" in signer_field[:2000]
    assert "signer_relationship:" not in text
    assert not Consent.objects.exists()


def test_a_parent_may_sign_a_minors_consent(personas, nurse_a):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with time_machine.travel(NOW, tick=False):
        response = _nurse(nurse_a).post(
            intake_url("consent", child),
            _consent(child, signer_name="Pat Parent", signer_relationship="parent"),
        )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=child)
    assert (consent.signer_name, consent.signer_relationship) == ("Pat Parent", "parent")


def test_the_childs_own_name_under_parent_is_refused_naming_the_signer(personas, nurse_a):
    child = _born(personas.a1, dt.date(2015, 6, 1))
    with time_machine.travel(NOW, tick=False):
        response = _nurse(nurse_a).post(
            intake_url("consent", child),
            _consent(child, signer_name=f"  {child.full_name.upper()} ", signer_relationship="parent"),
        )
    assert response.status_code == 422
    assert "write the name of the parent or legal guardian who signs" in html.unescape(
        response.content.decode()
    )
    assert not Consent.objects.filter(patient=child).exists()


@pytest.mark.parametrize("relationship", ["self", "healthcare_proxy", "other"])
def test_the_service_allows_only_a_parent_or_legal_guardian_for_a_minor(personas, relationship):
    child = _born(personas.a1, dt.date(2012, 1, 1))
    with pytest.raises(IntakeInputError) as caught:
        record_consent(
            patient=child,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2026, 1, 2),
            signer_name="Someone",
            signer_relationship=relationship,
            signed_form_seen=True,
        )
    assert caught.value.field == "signer_relationship"
    assert "parent or legal guardian" in caught.value.message
    assert not Consent.objects.exists()


def test_the_age_that_counts_is_the_one_on_the_signing_date(personas):
    patient = _born(personas.a1, dt.date(2008, 12, 1))
    common = {
        "patient": patient,
        "user": personas.clinician_a,
        "document_version": "v1",
        "signer_name": "Alice CanaryA1",
        "signer_relationship": "self",
    }
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(IntakeInputError):
            record_consent(**common, signed_on=dt.date(2026, 11, 30), signed_form_seen=True)  # 17 that day
        consent = record_consent(
            **common, signed_on=dt.date(2026, 12, 1), signed_form_seen=True
        )  # 18th birthday
    assert consent.signer_relationship == "self"


def test_the_consent_form_of_a_minor_starts_with_a_parent_and_says_why(personas, nurse_a):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with time_machine.travel(NOW, tick=False):
        text = _nurse(nurse_a).get(intake_url("page", child)).content.decode()
    assert "is under 18: a parent or legal guardian signs the consent, not the patient" in text
    assert '<option value="parent" selected>' in text
    assert 'name="signer_name" value="Alice CanaryA1"' not in text
    assert "A patient under 18 on the signing date does not sign: a parent or legal guardian does." in text


def test_an_adults_consent_form_still_starts_with_the_patient(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    assert '<option value="self" selected>' in text and "is under 18" not in text


# --- times and dates in words -------------------------------------------------------------------------------


def test_a_weight_in_the_future_is_refused_in_clinic_time_words(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            intake_url("weight", personas.a1), {"weight_kg": "70", "measured_at": "2027-01-01T10:00"}
        )
    text = response.content.decode()
    assert response.status_code == 422
    assert (
        "Fri 1 Jan 2027 10:00 is in the future; enter a time at or before now (Mon 7 Dec 2026 10:15, clinic time)"
        in text
    )
    assert "2027-01-01T10:00:00" not in text and "-05:00" not in text
    assert not WeightMeasurement.objects.exists()


def test_a_consent_date_out_of_range_is_said_in_words(personas):
    with time_machine.travel(NOW, tick=False), pytest.raises(IntakeInputError) as caught:
        record_consent(
            patient=personas.a1,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2027, 1, 1),
            signer_name="A",
            signer_relationship="self",
            signed_form_seen=True,
        )
    assert caught.value.message == (
        "Fri 1 Jan 2027 is outside the allowed range: from the date of birth (Sat 17 May 1980) "
        "to today (Mon 7 Dec 2026)"
    )


def test_a_withdrawn_consent_says_when_in_clinic_time_words(personas):
    with time_machine.travel(NOW, tick=False):
        consent = record_consent(
            patient=personas.a1,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2026, 12, 1),
            signer_name="Alice CanaryA1",
            signer_relationship="self",
            signed_form_seen=True,
        )
        withdraw_consent(consent=consent, user=personas.clinician_a, reason="phoned the clinic")
        with pytest.raises(ConflictError) as caught:
            withdraw_consent(consent=consent, user=personas.clinician_a, reason="again")
    assert caught.value.message == "this consent was already withdrawn on Mon 7 Dec 2026 10:15 (clinic time)"


def test_a_screening_dated_before_the_birth_is_refused_in_words(personas):
    child = _born(personas.a1, dt.date(2020, 1, 1))
    with pytest.raises(IntakeInputError) as caught:
        screened(
            patient=child,
            user=personas.clinician_a,
            conditions_present=[],
            assessed_at=dt.datetime(2019, 6, 1, 15, 0, tzinfo=dt.UTC),
        )
    assert caught.value.field == "assessed_at"
    assert "Sat 1 Jun 2019 is before the patient's date of birth (Wed 1 Jan 2020)" in caught.value.message
    assert not ScreeningAssessment.objects.exists()


def test_an_unknown_baseline_questionnaire_is_named_by_title_not_id(personas, client_for):
    response = client_for("clinician_a").post(intake_url("baseline", personas.a1), {"instrument": "nope"})
    text = response.content.decode()
    assert response.status_code == 422
    assert "Questionnaire: choose one of PHQ-9" in text and "choose one of phq9" not in text


def test_an_impossible_age_is_refused_naming_the_date_of_birth_not_a_server_error(personas):
    # Born 1 Jan 1900 (the earliest the patient record accepts) is 131 in 2031: out of the core's range.
    old = _born(personas.a1, dt.date(1900, 1, 1))
    with time_machine.travel(dt.datetime(2031, 6, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(IntakeInputError) as caught:
            screened(patient=old, user=personas.clinician_a, conditions_present=[])
        assert caught.value.field == "date_of_birth" and "expected 0-130" in caught.value.message
        with pytest.raises(IntakeInputError) as caught:
            record_consent(
                patient=old,
                user=personas.clinician_a,
                document_version="v1",
                signed_on=dt.date(2031, 6, 1),
                signer_name="A",
                signer_relationship="self",
                signed_form_seen=True,
            )
        assert caught.value.field == "date_of_birth"
    assert not ScreeningAssessment.objects.exists() and not Consent.objects.exists()
