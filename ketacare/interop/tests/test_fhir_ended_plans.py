"""An ended plan is exported as R4 says it ended: a completed course ``completed``, a discontinued one
``revoked`` (terminated before completion), each with the period ending when the plan ended.

The plans are ended as a prescriber ends them (the plan page, the API) and read as an EHR reads them, on
the FHIR API; every CarePlan parses in fhirclient's strict R4 model. Clinic A (the personas) is in
America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.support.fhir import strict_validate
from tests.support.treatments import FRIDAY_MORNING, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(FRIDAY_MORNING, tick=False) as traveller:
        yield traveller


def _care_plans(client: Any, patient: Any, query: str = "") -> dict[str, dict[str, Any]]:
    response = client.get(f"/fhir/R4/CarePlan?patient={patient.public_id}{query}")
    assert response.status_code == 200, response.content[:300]
    plans = [e["resource"] for e in json.loads(response.content)["entry"]]
    for plan in plans:
        strict_validate(plan)
    return {plan["id"]: plan for plan in plans}


def _medicine(care_plan: dict[str, Any]) -> dict[str, Any]:
    (detail,) = [a["detail"] for a in care_plan["activity"] if "detail" in a]
    return detail


def test_a_discontinued_plan_is_revoked_and_a_completed_one_completed(
    personas: Any, client_for: Any, clock: Any
) -> None:
    # One course at a time (docs/decisions/0032): the IV course is discontinued on the plan page, then an
    # esketamine course is made and completed on the API.
    iv = make_session(personas.a1, route="iv", state="discharged").plan
    assert iv is not None
    client = client_for("clinician_a")
    active = _care_plans(client, personas.a1)
    assert {p["status"] for p in active.values()} == {"active"}
    assert "end" not in active[str(iv.public_id)]["period"]

    clock.move_to(FRIDAY_MORNING + dt.timedelta(hours=2))
    client = client_for("clinician_a")
    ended = client.post(
        reverse("treatments:end_plan", kwargs={"patient_id": personas.a1.public_id}),
        {"plan_id": str(iv.public_id), "booked": "0", "ended_as": "discontinued", "confirm": "on"},
    )
    assert ended.status_code == 302
    esketamine = make_session(personas.a1, route="esketamine_in", state="scheduled").plan
    assert esketamine is not None
    assert _care_plans(client, personas.a1)[str(esketamine.public_id)]["status"] == "active"
    ended = client.post(
        f"/api/v1/patients/{personas.a1.public_id}/plans/{esketamine.public_id}/end",
        {"ended_as": "completed"},
        content_type="application/json",
    )
    assert ended.status_code == 200

    plans = _care_plans(client, personas.a1)
    stopped, finished = plans[str(iv.public_id)], plans[str(esketamine.public_id)]
    assert stopped["status"] == "revoked" and _medicine(stopped)["status"] == "stopped"
    assert finished["status"] == "completed" and _medicine(finished)["status"] == "completed"
    for care_plan in (stopped, finished):
        assert care_plan["period"]["end"].startswith("2026-11-20T17:00:00")
        assert care_plan["period"]["start"] <= care_plan["period"]["end"]
        assert care_plan["meta"]["lastUpdated"].startswith("2026-11-20T17:00:00")
    assert "Course discontinued" in stopped["text"]["div"]
    # An EHR asking for the plans stopped before completion gets the discontinued one only.
    assert list(_care_plans(client, personas.a1, "&status=revoked")) == [str(iv.public_id)]
