"""Ending a course sets the patient's stage, and a new plan starts it again.

The stage is what the questionnaire schedule and the drop-out job read: a patient whose course ended
as completed or discontinued is that, in the same transaction as the plan's ending; a new plan for them
is a new course, in induction, not a patient left "completed" while treated (who would get no
questionnaire before a session). Seen as staff see it, on the API's patient record.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.treatments.models import TreatmentPlan
from tests.support.treatments import FRIDAY_MORNING, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(FRIDAY_MORNING, tick=False) as traveller:
        yield traveller


def _stage(client: Any, patient: Any) -> str:
    response = client.get(f"/api/v1/patients/{patient.public_id}")
    assert response.status_code == 200
    return str(response.json()["stage"])


def _end(client: Any, patient: Any, plan: TreatmentPlan, ended_as: str) -> None:
    response = client.post(
        reverse("treatments:end_plan", kwargs={"patient_id": patient.public_id}),
        {
            "plan_id": str(plan.public_id),
            "booked": str(plan.sessions.filter(state="scheduled").count()),
            "ended_as": ended_as,
            "confirm": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]


def _new_plan(client: Any, patient: Any) -> None:
    response = client.post(
        reverse("treatments:plan", kwargs={"patient_id": patient.public_id}),
        {
            "protocol_id": "iv_ketamine",
            "first_session_at": "2026-11-23T09:00",  # the Monday after
            "weight_kg": "70",
            "maintenance_policy": "decide_at_review",
            "hepatic_impairment": "none",
            "gate_override_reason": "Screening, decision and consent are on paper for this test.",
            "book_outside_hours": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize("ended_as", ["completed", "discontinued"])
def test_ending_the_course_sets_the_stage_and_a_new_plan_starts_induction_again(
    personas: Any, client_for: Any, clock: Any, ended_as: str
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    client = client_for("clinician_a")
    assert _stage(client, personas.a1) == "induction"
    _end(client, personas.a1, plan, ended_as)
    assert _stage(client, personas.a1) == ended_as
    _new_plan(client, personas.a1)
    assert _stage(client, personas.a1) == "induction"


def test_a_course_with_another_plan_still_active_is_not_over(
    personas: Any, client_for: Any, clock: Any
) -> None:
    """Two plans at once (an IV course and an esketamine one): ending one leaves the patient treated.

    No service makes a second active plan any more (one active plan a patient, docs/decisions/0032); a
    patient can still hold two from before that rule, built here as that data is: the IV course is ended
    to make the esketamine one, then stored as active again.
    """
    iv = make_session(personas.a1, route="iv", state="discharged").plan
    make_session(personas.a1, route="esketamine_in", state="scheduled")
    assert iv is not None
    TreatmentPlan.objects.filter(pk=iv.pk).update(
        status=TreatmentPlan.Status.ACTIVE, ended_as="", ended_at=None, ended_by=None
    )
    client = client_for("clinician_a")
    response = client.post(
        f"/api/v1/patients/{personas.a1.public_id}/plans/{iv.public_id}/end",
        {"ended_as": "discontinued"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert _stage(client, personas.a1) == "induction"
    esketamine = TreatmentPlan.objects.get(patient=personas.a1, status="active")
    response = client.post(
        f"/api/v1/patients/{personas.a1.public_id}/plans/{esketamine.public_id}/end",
        {"ended_as": "completed"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert _stage(client, personas.a1) == "completed"
