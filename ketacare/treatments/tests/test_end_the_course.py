"""A prescriber ends the course from the plan page or the API: completed or discontinued, with a reason.

The page asks how it ended, an optional reason, and a confirmation that names how many booked sessions
are cancelled with it; nurses and clinic admins do not get the form and are refused (403) if they post
it. A refused ending names the field and changes nothing. The API ends a named plan and answers with the
plan and its ending; refused input is a 422 naming the field, an ending that no longer applies a 409.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.audit.models import AccessEvent
from ketacare.treatments import services
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db

REASON = "No meaningful improvement after four infusions; referred back to the psychiatrist."


def _plan_with_two_booked(personas: Any) -> TreatmentPlan:
    """One infusion held today, two maintenance sessions booked for the weeks ahead."""
    session = make_session(personas.a1, route="iv", state="discharged")
    plan = session.plan
    assert plan is not None
    for days in (7, 14):
        services.book_maintenance_session(
            plan=plan,
            user=personas.clinician_a,
            starts_at=dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC) + dt.timedelta(days=days),
            now=dt.datetime.now(dt.UTC),
        )
    return plan


def _plan_url(patient: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": patient.public_id})


def _end_url(patient: Any) -> str:
    return reverse("treatments:end_plan", kwargs={"patient_id": patient.public_id})


def _form(plan: TreatmentPlan, **changes: str | None) -> dict[str, str]:
    data = {
        "plan_id": str(plan.public_id),
        "booked": "2",
        "ended_as": "discontinued",
        "end_reason": REASON,
        "confirm": "on",
    }
    return {k: v for k, v in (data | changes).items() if v is not None}


def _unchanged(plan: TreatmentPlan) -> None:
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ACTIVE and plan.ended_at is None and plan.ended_as == ""
    assert TreatmentSession.objects.filter(plan=plan, state="scheduled").count() == 2
    assert plan.appointments.filter(status=Appointment.Status.SCHEDULED).count() == 2


def _field_error(response: Any, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</span>', response.content.decode(), re.S)
    assert found is not None, testid
    return found.group(1)


def test_the_prescriber_is_offered_the_ending_with_the_sessions_it_cancels(
    personas: Any, client_for: Any, clock: Any
) -> None:
    _plan_with_two_booked(personas)
    response = client_for("clinician_a").get(_plan_url(personas.a1))
    assert response.status_code == 200
    text = words(response)
    assert "End this course" in text
    assert "How did the course end? Completed Discontinued" in text
    assert "End the course now and cancel the 2 booked sessions not yet held" in text
    # Why the reason is optional, in the form's help.
    assert "It is not required: a patient who stops coming often gives no reason" in text
    assert f'action="{_end_url(personas.a1)}"' in response.content.decode()


def test_nurses_and_admins_are_not_offered_the_ending_and_are_refused_if_they_post_it(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    for client in (nurse, client_for("admin_a")):
        page = client.get(_plan_url(personas.a1))
        assert page.status_code == 200
        assert _end_url(personas.a1) not in page.content.decode()
        assert "ending the course are a prescriber's decisions" in words(page)
        refused = client.post(_end_url(personas.a1), _form(plan))
        assert refused.status_code == 403
        assert "only a prescriber of this clinic can end a treatment plan" in words(refused)
        _unchanged(plan)
    # Another clinic's prescriber does not reach the patient at all.
    assert client_for("clinician_b").post(_end_url(personas.a1), _form(plan)).status_code == 404
    _unchanged(plan)


def test_ending_the_course_from_the_page_shows_the_ended_plan_and_is_audited(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    clock.move_to(dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC))  # 11:30 in New York
    client = client_for("clinician_a")
    response = client.post(_end_url(personas.a1), _form(plan), follow=True)
    assert response.redirect_chain == [(_plan_url(personas.a1), 302)]
    text = words(response)
    assert "Course ended: discontinued; 2 booked sessions cancelled." in text
    assert "Last treatment plan: discontinued" in text
    assert "Fri 20 Nov 2026, 11:30 by Clinician A" in text
    assert REASON in text
    assert "1 of 3 planned sessions held (2 cancelled)" in text
    assert "End this course" not in text
    plan.refresh_from_db()
    assert plan.ended_by == personas.clinician_a and plan.ended_as == "discontinued"
    assert TreatmentSession.objects.filter(plan=plan, state="scheduled").count() == 0
    # One audit row for the write, named on the clinic admin's audit report.
    row = AccessEvent.objects.get(path=_end_url(personas.a1), method="POST")
    assert (row.action, row.outcome, row.patient_public_id) == (
        "write",
        "granted",
        str(personas.a1.public_id),
    )
    assert "End treatment plan" in words(client_for("admin_a").get(reverse("audit:report")))


def test_a_completed_course_needs_no_reason_and_a_plan_with_nothing_booked_says_so(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    client = client_for("clinician_a")
    assert "End the course now (no session is booked on it)" in words(client.get(_plan_url(personas.a1)))
    response = client.post(
        _end_url(personas.a1), _form(plan, booked="0", ended_as="completed", end_reason=""), follow=True
    )
    text = words(response)
    assert "Course ended: completed; nothing was booked." in text
    assert "Last treatment plan: completed" in text


def test_a_refused_ending_names_each_field_and_changes_nothing(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    client = client_for("clinician_a")
    response = client.post(
        _end_url(personas.a1), _form(plan, ended_as="finished", end_reason="x" * 1001, confirm=None)
    )
    assert response.status_code == 422
    assert "Not ended, nothing was changed: 3 things to fix" in words(response)
    assert _field_error(response, "ended-as-error") == "Choose Completed or Discontinued."
    assert _field_error(response, "end-reason-error") == "Write at most 1000 characters (this is 1001)."
    assert "Tick the box to confirm" in _field_error(response, "confirm-error")
    # What was typed stays in the form; the confirmation is given again.
    assert "x" * 1001 in response.content.decode()
    assert 'name="confirm" id="end-confirm" required>' in response.content.decode()
    _unchanged(plan)


def test_a_confirmation_for_another_number_of_booked_sessions_is_asked_again(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    response = client_for("clinician_a").post(_end_url(personas.a1), _form(plan, booked="1"))
    assert response.status_code == 422
    assert _field_error(response, "confirm-error") == (
        "2 booked sessions would now be cancelled, not 1 as the page said: check the appointments and "
        "confirm again"
    )
    assert "cancel the 2 booked sessions not yet held" in words(response)
    _unchanged(plan)


def test_a_course_with_a_session_in_the_chair_is_not_ended(
    personas: Any, client_for: Any, clock: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing")
    plan = session.plan
    assert plan is not None
    client = client_for("clinician_a")
    page = words(client.get(_plan_url(personas.a1)))
    assert "A session of this plan is under way: discharge or cancel it on its run-sheet" in page
    response = client.post(_end_url(personas.a1), _form(plan, booked="0"))
    assert response.status_code == 422
    assert "discharge or cancel it before ending the plan" in words(response)
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ACTIVE


def test_a_second_click_says_the_plan_has_already_ended(personas: Any, client_for: Any, clock: Any) -> None:
    plan = _plan_with_two_booked(personas)
    client = client_for("clinician_a")
    assert client.post(_end_url(personas.a1), _form(plan)).status_code == 302
    again = client.post(_end_url(personas.a1), _form(plan, ended_as="completed", booked="0"), follow=True)
    assert "This treatment plan has already ended" in words(again)
    plan.refresh_from_db()
    assert plan.ended_as == "discontinued"


# --- the API --------------------------------------------------------------------------------------


def _api_url(plan: TreatmentPlan) -> str:
    return f"/api/v1/patients/{plan.patient.public_id}/plans/{plan.public_id}/end"


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_ends_the_plan_and_answers_with_its_ending(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    response = _post(
        client_for("clinician_a"), _api_url(plan), {"ended_as": "discontinued", "end_reason": REASON}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["public_id"] == str(plan.public_id) and body["status"] == "ended"
    assert body["ended_as"] == "discontinued" and body["end_reason"] == REASON
    assert body["ended_by"] == "Clinician A" and body["ended_at"].startswith("2026-11-20T15:00:00")
    assert [a["status"] for a in body["appointments"]] == ["completed", "cancelled", "cancelled"]
    # Ending it again is a conflict with its state, named.
    again = _post(client_for("clinician_a"), _api_url(plan), {"ended_as": "completed"})
    assert again.status_code == 409
    assert again.json()["errors"] == [{"field": "plan", "message": "this treatment plan has already ended"}]


def test_the_api_refuses_bad_input_naming_the_field_and_writes_nothing(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    client = client_for("clinician_a")
    wrong = _post(client, _api_url(plan), {"ended_as": "finished"})
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["ended_as"]
    long = _post(client, _api_url(plan), {"ended_as": "completed", "end_reason": "x" * 1001})
    assert long.status_code == 422
    assert [e["field"] for e in long.json()["errors"]] == ["end_reason"]
    missing = _post(client, _api_url(plan), {})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["ended_as"]
    _unchanged(plan)


def test_the_api_ending_is_a_prescribers_of_the_patients_clinic(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    body = {"ended_as": "completed"}
    nurse = login(Client(), make_nurse(personas.clinic_a))
    for client in (nurse, client_for("admin_a")):
        refused = _post(client, _api_url(plan), body)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["field"] == "ended_as"
    for name in ("clinician_b", "a1"):
        assert _post(client_for(name), _api_url(plan), body).status_code == 404
    other = f"/api/v1/patients/{personas.a1.public_id}/plans/not-a-plan/end"
    assert _post(client_for("clinician_a"), other, body).status_code == 404
    _unchanged(plan)
