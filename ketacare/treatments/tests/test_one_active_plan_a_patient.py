"""A patient has one active treatment plan at a time: a new plan waits until the course is ended.

The plan page, the end of a course, the patient's stage and the questionnaires before each session all
follow the patient's one current plan, so a second active plan was booked and dosed out of sight
(docs/decisions/0032). Creating a plan while one is active is refused (409), on the page and on the API
(naming ``plan``), with the active plan named and the way on (end that course first); nothing is
written. Once the course is ended, the same plan is made.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.lib.errors import ConflictError
from ketacare.treatments import selectors, services
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

# A new IV course from the Monday after, as a prescriber types it on the plan page.
NEW_PLAN = {
    "protocol_id": "iv_ketamine",
    "first_session_at": "2026-11-23T09:00",
    "weight_kg": "70",
    "maintenance_policy": "decide_at_review",
    "hepatic_impairment": "none",
    "gate_override_reason": "Screening, decision and consent are on paper for this test.",
    "book_outside_hours": "on",
}
NEW_PLAN_API = {
    "protocol_id": "iv_ketamine",
    "first_session_at": "2026-11-23T09:00:00-05:00",
    "weight_kg": 70,
    "gate_override_reason": "Screening, decision and consent are on paper for this test.",
    "book_outside_hours": True,
}
WAY_ON = (
    "A patient has one active plan at a time: end that course first (“End this course” on the plan page, "
    "as completed or discontinued), then make the new plan. To go on with the same course, move its "
    "appointments or book a maintenance session on it instead."
)


def _url(patient: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": patient.public_id})


def _text(body: str) -> str:
    return " ".join(html.unescape(strip_tags(body)).split())


def _written() -> tuple[int, int, int]:
    return (TreatmentPlan.objects.count(), Appointment.objects.count(), TreatmentSession.objects.count())


def test_the_plan_page_refuses_a_second_plan_naming_the_active_one_and_writes_nothing(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    before = _written()
    response = client_for("clinician_a").post(_url(personas.a1), NEW_PLAN)
    assert response.status_code == 409
    body = response.content.decode()
    alert = _text(body.split('data-testid="plan-not-created">', 1)[1].split("</div>", 1)[0])
    assert alert == (
        "No new plan was created, nothing was changed. This patient already has an active treatment "
        f"plan: {selectors.plan_name(plan)}, made Fri 20 Nov 2026 by Clinician A (1 of 1 session held, "
        f"0 still booked). {WAY_ON}"
    )
    assert _written() == before
    assert list(TreatmentPlan.objects.filter(patient=personas.a1, status="active")) == [plan]
    # The page is still the active plan's, with the way to end it right there.
    assert 'data-testid="end-course"' in body


def test_once_the_course_is_ended_the_same_plan_is_made(personas: Any, client_for: Any, clock: Any) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    client = client_for("clinician_a")
    assert client.post(_url(personas.a1), NEW_PLAN).status_code == 409
    services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="completed")
    response = client.post(_url(personas.a1), NEW_PLAN)
    assert response.status_code == 302, response.content[:500]
    (active,) = TreatmentPlan.objects.filter(patient=personas.a1, status="active")
    assert active.pk != plan.pk


def test_a_plan_on_another_route_is_refused_too(personas: Any, client_for: Any, clock: Any) -> None:
    """The rule is the patient's, not the route's: an esketamine course booked ahead holds an IV plan."""
    esketamine = make_session(personas.a1, route="esketamine_in", state="scheduled").plan
    assert esketamine is not None
    booked = esketamine.appointments.count()
    before = _written()
    response = client_for("clinician_a").post(_url(personas.a1), NEW_PLAN)
    assert response.status_code == 409
    text = _text(response.content.decode())
    assert (
        f"This patient already has an active treatment plan: {selectors.plan_name(esketamine)}, made "
        f"Fri 20 Nov 2026 by Clinician A (0 of {booked} sessions held, {booked} still booked)."
    ) in text
    assert _written() == before


def test_the_api_answers_409_naming_plan_before_any_input_mistake(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    client = client_for("clinician_a")
    url = f"/api/v1/patients/{personas.a1.public_id}/plans"
    before = _written()
    for body in (NEW_PLAN_API, {**NEW_PLAN_API, "weight_kg": 800}):
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 409, response.content
        (error,) = response.json()["errors"]
        assert error["field"] == "plan"
        assert error["message"].startswith(
            f"This patient already has an active treatment plan: {selectors.plan_name(plan)}, made "
            "Fri 20 Nov 2026 by Clinician A"
        )
        assert error["message"].endswith(WAY_ON)
        assert response.json()["detail"] == error["message"]
    assert _written() == before


def test_the_service_refuses_it_whoever_calls_it(personas: Any, clock: Any) -> None:
    make_session(personas.a1, route="iv", state="scheduled")
    before = _written()
    with pytest.raises(ConflictError) as refused:
        services.create_treatment_plan(
            patient=personas.a1,
            user=personas.clinician_a,
            protocol_id="iv_ketamine",
            preset_id=None,
            first_session_at=dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC),
            weight_kg=70.0,
            gate_override_reason="On paper",
            book_outside_hours=True,
        )
    assert refused.value.field == "plan"
    assert _written() == before
