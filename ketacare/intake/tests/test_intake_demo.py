"""The demo seeds intake, screening with a decision, consent and a baseline PHQ-9; twice adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from ketacare.intake.models import (
    BaselineScore,
    Consent,
    Intake,
    MedicationList,
    MedicineClassification,
    ScreeningAssessment,
)
from ketacare.patients.facts import patient_doses
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _snapshot():
    return sorted(
        ScreeningAssessment.objects.values_list(
            "patient__medical_record_number", "eligibility", "decision", "medications", "answers"
        )
    )


def test_the_demo_gives_each_login_patient_a_decided_screening_consent_and_baseline(demo):
    screenings = ScreeningAssessment.objects.all()
    # Each patient with a course has one: the three login patients per clinic and the others in
    # induction, and the patients of the past courses (maintenance, completed, discontinued).
    treated = Patient.objects.exclude(stage="screening").count()
    assert screenings.count() == treated > 6
    assert {s.patient.stage for s in screenings} == {"induction", "maintenance", "completed", "discontinued"}
    assert {s.eligibility for s in screenings} == {"eligible", "eligible_with_precautions"}
    assert all(s.decision == s.eligibility and s.decided_by is not None for s in screenings)
    assert Consent.objects.count() == treated
    assert BaselineScore.objects.filter(instrument_id="phq9").count() == treated
    assert all(s.decided_by.memberships.get(clinic=s.clinic).role == "prescriber" for s in screenings)


def test_running_the_demo_twice_adds_no_intake_and_gives_the_same_values(demo):
    counts = (Intake.objects.count(), ScreeningAssessment.objects.count(), BaselineScore.objects.count())
    first = _snapshot()
    demo.seed_again()
    assert (
        Intake.objects.count(),
        ScreeningAssessment.objects.count(),
        BaselineScore.objects.count(),
    ) == counts
    assert _snapshot() == first


def test_the_demo_decides_and_classifies_before_the_first_dose(demo):
    """Six sessions given "today"'s decision read as treatment before eligibility: the history is in order."""
    screenings = ScreeningAssessment.objects.select_related("patient")
    assert screenings.count() == Patient.objects.exclude(stage="screening").count()
    for screening in screenings:
        doses = patient_doses(screening.patient, now=demo.now)
        # A past course (maintenance, completed, discontinued) has its appointments without run-sheets.
        first = (
            doses[0].started_at
            if doses
            else screening.patient.appointments.order_by("starts_at")[0].starts_at
        )
        assert screening.assessed_at < screening.decided_at < first
        assert screening.decided_at < demo.now - dt.timedelta(days=14)
        # The medicines KetaCare does not recognise were classified before the screening read the list.
        current = MedicationList.objects.get(patient=screening.patient, status="current")
        assert current.unrecognised_medications == [] and screening.unrecognised_medications == []
        assert current.recorded_at <= screening.assessed_at
    classified = MedicineClassification.objects.all()
    assert {(c.name, c.class_id) for c in classified} == {
        ("sertraline", "no_interaction"),
        ("escitalopram", "no_interaction"),
    }
    assert all(c.classified_at < demo.now - dt.timedelta(days=14) for c in classified)
    assert all(c.classified_by.memberships.get(clinic=c.clinic).role == "prescriber" for c in classified)
