"""The home page's first block follows the patient's state (decision 0014)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from tests.support.checkins import make_dose
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def _home(client_for: Any, persona: str = "a1") -> str:
    return client_for(persona).get(reverse("companion:home")).content.decode()


def test_in_the_chair_is_not_told_its_last_session_was_a_minute_ago(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        session = make_dose(personas.a1, started_at=NOON - dt.timedelta(minutes=1))
        session.state, session.discharged_at = TreatmentSession.State.DOSING, None
        session.save(update_fields=["state", "discharged_at"])
        body = _home(client_for)
    assert 'data-state="in_chair"' in body and "Your treatment is being given now." in body
    assert "Your last session was" not in body and "Now: " not in body


def test_just_discharged_opens_what_is_normal_now(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        make_dose(personas.a1, route="esketamine_in", started_at=NOON - dt.timedelta(hours=2))
        body = _home(client_for)
    assert 'data-state="discharged"' in body and "You left the clinic" in body
    assert '<details class="expected-now" open>' in body
    assert 'data-rule="driving"' in body and "No driving and no machinery before" in body


def test_induction_finished_says_what_maintenance_means_and_how_to_book(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=timezone.now() - dt.timedelta(days=3))
    body = _home(client_for)
    assert 'data-state="induction_finished"' in body
    assert "What comes next is decided with your clinic. Some people go on with maintenance" in body
    assert personas.clinic_a.phone in body
    assert "None booked." not in body


def test_paused_and_before_a_session(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=5))
    assert 'data-state="paused"' in _home(client_for)
    with time_machine.travel(NOON, tick=False):
        plan = TreatmentPlan.objects.create(
            clinic=personas.clinic_a,
            patient=personas.a1,
            protocol_id="esketamine_trd",
            preset_id="label",
            route="esketamine_in",
            review_after_session=8,
            review_not_before=NOON + dt.timedelta(days=30),
            created_by=personas.clinician_a,
        )
        Appointment.objects.create(
            clinic=personas.clinic_a,
            patient=personas.a1,
            plan=plan,
            number=1,
            phase="induction",
            week=1,
            starts_at=NOON + dt.timedelta(hours=4),
            duration_min=120,
        )
        body = _home(client_for)
    assert 'data-state="before_session"' in body
    assert 'data-testid="fasting"' in body and "No food for 2 hours" in body
    # Said to be the general rule, so it does not contradict "My clinic" (no instruction of its own).
    assert "the general rule for this treatment; your clinic has not written its own" in body
