"""A plan starts induction and a maintenance booking starts maintenance: the patient's stage follows, so
the questionnaire schedule asks before each session (a patient left at "screening" got baseline
questionnaires only) and the drop-out job looks at them.

Clinic A (the personas) is in America/New_York; the clock stands on Monday 7 December 2026, 10:15 there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.questionnaires.services import schedule_questionnaires
from ketacare.treatments.models import Appointment, TreatmentPlan
from ketacare.treatments.services import book_maintenance_session
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)


def _plan_form() -> dict[str, str]:
    return {
        "protocol_id": "iv_ketamine",
        "first_session_at": "2026-12-08T09:00",
        "weight_kg": "70",
        "maintenance_policy": "decide_at_review",
        "hepatic_impairment": "none",
        "gate_override_reason": "Screening, decision and consent are on paper for this test.",
        "book_outside_hours": "on",
    }


def test_a_plan_moves_a_screening_patient_to_induction_and_the_schedule_asks_before_each_session(
    personas: Any, client_for: Any
) -> None:
    Patient.objects.filter(pk=personas.a1.pk).update(stage=Patient.Stage.SCREENING)
    with time_machine.travel(NOW, tick=False):
        url = reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})
        response = client_for("clinician_a").post(url, _plan_form())
        assert response.status_code == 302
        patient = Patient.objects.get(pk=personas.a1.pk)
        assert patient.stage == Patient.Stage.INDUCTION
        schedule_questionnaires(patient=patient, now=NOW)
    reasons = set(QuestionnaireAssignment.objects.filter(patient=patient).values_list("reason", flat=True))
    assert "before_session" in reasons


def test_a_maintenance_booking_moves_the_patient_on_and_nothing_moves_a_patient_back(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        url = reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})
        assert client_for("clinician_a").post(url, _plan_form()).status_code == 302
        plan = TreatmentPlan.objects.get(patient=personas.a1)
        book_maintenance_session(
            plan=plan, user=personas.clinician_a, starts_at=NOW + dt.timedelta(days=40), now=NOW
        )
        assert Patient.objects.get(pk=personas.a1.pk).stage == Patient.Stage.MAINTENANCE
        # A new plan later (a second course) does not move a maintenance patient back to induction.
        assert client_for("clinician_a").post(url, _plan_form()).status_code in (302, 409)
        assert Patient.objects.get(pk=personas.a1.pk).stage == Patient.Stage.MAINTENANCE


def test_a_session_under_way_is_not_the_patients_next_appointment(personas: Any) -> None:
    """A patient checked in early for a later booking: the record's "Now" shows the next one after it."""
    session = make_session(personas.a1, state="checked_in")
    later = timezone.now() + dt.timedelta(hours=2)
    # The booking was for two hours from now; the patient came early and is checked in.
    Appointment.objects.filter(pk=session.appointment_id).update(starts_at=later)
    upcoming = facts.next_appointment(personas.a1, now=timezone.now())
    assert upcoming is None or upcoming.public_id != str(session.appointment.public_id)
