"""A clinician books a maintenance session on the active plan (from the plan page or a relapse alert)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from ketacare.treatments.models import Appointment, TreatmentSession
from ketacare.treatments.services import create_treatment_plan
from tests.support.pathway import ready_for_plan

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)


def _plan(personas: Any) -> Any:
    ready_for_plan(personas.a1)
    first_session_at = NOW - dt.timedelta(days=20)
    # Planned on the day of its first session: a plan never starts in the past.
    with time_machine.travel(first_session_at, tick=False):
        return create_treatment_plan(
            patient=personas.a1,
            user=personas.clinician_a,
            protocol_id="iv_ketamine",
            preset_id=None,
            first_session_at=first_session_at,
            weight_kg=70.0,
        )


def test_booking_adds_a_maintenance_appointment_and_session_at_the_clinic_time(
    personas: Any, client_for: Any
) -> None:
    plan = _plan(personas)
    before = plan.appointments.count()
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            f"/clinic/patients/{personas.a1.public_id}/plan/maintenance/", {"starts_at": "2026-12-10T09:30"}
        )
    assert response.status_code == 302
    appointment = Appointment.objects.get(plan=plan, number=before + 1)
    assert appointment.phase == "maintenance"
    # Clinic A is in America/New_York: 09:30 local on 10 December is 14:30 UTC.
    assert appointment.starts_at == dt.datetime(2026, 12, 10, 14, 30, tzinfo=dt.UTC)
    assert appointment.dose_mg == plan.dose_mg
    assert TreatmentSession.objects.get(appointment=appointment).state == "scheduled"


def test_a_time_in_the_past_is_refused_and_nothing_is_written(personas: Any, client_for: Any) -> None:
    plan = _plan(personas)
    count = Appointment.objects.count()
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            f"/clinic/patients/{personas.a1.public_id}/plan/maintenance/",
            {"starts_at": "2026-11-30T09:30"},
            follow=True,
        )
    assert "starts_at" in response.content.decode() and "in the past" in response.content.decode()
    assert Appointment.objects.count() == count and plan.appointments.filter(phase="maintenance").count() == 0


def test_a_malformed_time_is_refused_naming_the_field(personas: Any, client_for: Any) -> None:
    _plan(personas)
    count = Appointment.objects.count()
    response = client_for("clinician_a").post(
        f"/clinic/patients/{personas.a1.public_id}/plan/maintenance/",
        {"starts_at": "next tuesday"},
        follow=True,
    )
    assert "starts_at" in response.content.decode()
    assert Appointment.objects.count() == count


def test_another_clinics_clinician_gets_404_and_books_nothing(personas: Any, client_for: Any) -> None:
    _plan(personas)
    count = Appointment.objects.count()
    response = client_for("clinician_b").post(
        f"/clinic/patients/{personas.a1.public_id}/plan/maintenance/", {"starts_at": "2027-01-10T09:30"}
    )
    assert response.status_code == 404 and Appointment.objects.count() == count


def test_the_relapse_alert_offers_the_booking_form(personas: Any, client_for: Any) -> None:
    from ketacare.vigilance.course_signals import evaluate_course_signals
    from tests.support.cohort import add_scores, day

    _plan(personas)
    add_scores(personas.a1, [(0, 20), (14, 9), (21, 14), (28, 16)])
    [alert] = evaluate_course_signals(patient=personas.a1, now=day(29))
    body = client_for("clinician_a").get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    assert f"/clinic/patients/{personas.a1.public_id}/plan/maintenance/" in body
