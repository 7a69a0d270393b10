"""The demo seeds intake, screening with a decision, consent and a baseline PHQ-9; twice adds nothing."""

from __future__ import annotations

import pytest

from ketacare.intake.models import BaselineScore, Consent, Intake, ScreeningAssessment

pytestmark = pytest.mark.django_db


def _snapshot():
    return sorted(
        ScreeningAssessment.objects.values_list(
            "patient__medical_record_number", "eligibility", "decision", "medications", "answers"
        )
    )


def test_the_demo_gives_each_login_patient_a_decided_screening_consent_and_baseline(demo):
    screenings = ScreeningAssessment.objects.all()
    assert screenings.count() == 6  # three login patients per clinic
    assert {s.eligibility for s in screenings} == {"eligible", "eligible_with_precautions"}
    assert all(s.decision == s.eligibility and s.decided_by is not None for s in screenings)
    assert Consent.objects.count() == 6 and BaselineScore.objects.filter(instrument_id="phq9").count() == 6
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
