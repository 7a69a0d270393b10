"""A dose on a plan made under a prescriber's override of the plan gate says so, and is confirmed.

The red "Planned with a step missing" box used to sit above a green "Ready to dose: every pre-dose check
is met" on a plan with no screening, decision or consent on file. The ready line now names the steps the
prescriber's override stands in for, and the first dose waits until the person recording it ticks "I have
read the prescriber's override" (the override's author excepted: they wrote it). Page and API alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from tests.support.pathway import make_nurse, ready_for_plan
from tests.support.treatments import PLAN_GATE_REASON, make_session, run_sheet, words

pytestmark = pytest.mark.django_db

EVERY_STEP = "no completed screening, no eligibility decision, no consent on file"


def _dose(client: Client, session: TreatmentSession, **extra: str) -> Any:
    return client.post(
        reverse("treatments:dose", kwargs={"session_id": session.public_id}),
        {"dose_mg": "35", "lot_number": "L1", **extra},
    )


def test_the_ready_line_names_the_override_a_dose_goes_ahead_under(personas: Any, clock: Any) -> None:
    # The builders plan the way the tester's prescriber did: every step missing, passed with a reason.
    session = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, session))
    assert "Planned with a step missing" in page
    assert "every pre-dose check is met" not in page
    assert f"Ready to dose under the prescriber's override of: {EVERY_STEP}" in page
    assert f"reason: “{PLAN_GATE_REASON}”" in page and "Every other pre-dose check is met." in page
    assert "I have read the prescriber's override" in page


def test_the_first_dose_waits_for_the_nurse_to_confirm_the_override(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    refused = _dose(nurse, session)
    assert refused.status_code == 422
    text = words(refused)
    assert f"This plan was made under a prescriber's override of: {EVERY_STEP}" in text
    assert "tick “I have read the prescriber's override” to record the first dose" in text
    assert "gate_override_read" not in text
    assert not DoseAdministration.objects.filter(session=session).exists()

    assert _dose(nurse, session, gate_override_read="on").status_code == 302
    session.refresh_from_db()
    assert session.state == "dosing" and DoseAdministration.objects.filter(session=session).count() == 1


def test_the_prescriber_who_wrote_the_override_is_not_asked_to_confirm_it(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    author = client_for("clinician_a")
    assert "I have read the prescriber's override" not in words(run_sheet(author, session))
    assert _dose(author, session).status_code == 302


def test_the_api_asks_for_the_same_confirmation(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    url = f"/api/v1/sessions/{session.public_id}/doses"
    body = {"dose_mg": 35, "lot_number": "L1"}
    refused = nurse.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "gate_override_read" and EVERY_STEP in error["message"]
    assert not DoseAdministration.objects.filter(session=session).exists()
    done = nurse.post(url, json.dumps({**body, "gate_override_read": True}), content_type="application/json")
    assert done.status_code == 201, done.content


def test_a_step_recorded_since_the_plan_leaves_only_the_others_under_the_override(
    personas: Any, clock: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    ready_for_plan(personas.a1, routes=())  # screened and decided since; still no consent
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, session))
    assert "Ready to dose under the prescriber's override of: no consent on file (" in page
    assert "No completed screening is on file. Recorded since the plan was made." in page


def test_with_every_step_recorded_since_the_dose_is_ready_without_the_override(
    personas: Any, clock: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    ready_for_plan(personas.a1, routes=["iv"])
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, session))
    assert "Ready to dose: every pre-dose check is met." in page
    assert "I have read the prescriber's override" not in page
    assert _dose(nurse, session).status_code == 302
