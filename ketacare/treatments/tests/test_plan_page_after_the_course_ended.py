"""A patient whose course has ended sees it on the plan page, not "Before a plan" as if never treated.

The last ended plan is told in full (completed or discontinued, when and by whom it ended, the reason
when one was recorded, the sessions held of those planned), earlier ones are listed newest first, and
the way on is a new plan. "Before a plan" stays for a patient who never had one. The API lists ended
plans with how they ended; the patient's own appointments page says the course has ended.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.patients.models import Patient
from ketacare.treatments import services
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db

REASON = "Stopped at the patient's request after the first infusion."


def _page(client: Any, patient: Any) -> Any:
    response = client.get(reverse("treatments:plan", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 200
    return response


def _dd(response: Any, testid: str) -> str:
    found = re.search(rf'<dd data-testid="{testid}">(.*?)</dd>', response.content.decode(), re.S)
    assert found is not None, testid
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _course_ended_by_the_prescriber(personas: Any, clock: Any) -> TreatmentPlan:
    """One infusion held, one maintenance session booked next week, then the plan discontinued."""
    session = make_session(personas.a1, route="iv", state="discharged")
    plan = session.plan
    assert plan is not None
    services.book_maintenance_session(
        plan=plan,
        user=personas.clinician_a,
        starts_at=dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC),
        now=dt.datetime.now(dt.UTC),
    )
    clock.move_to(dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC))  # 11:30 in New York
    return services.end_treatment_plan(
        plan=plan, user=personas.clinician_a, ended_as="discontinued", reason=REASON
    )


def test_a_discontinued_plan_is_shown_with_when_who_why_and_the_sessions_held(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _course_ended_by_the_prescriber(personas, clock)
    # The session booked ahead is cancelled with the plan: nothing stays booked on a course that is over.
    assert plan.appointments.filter(status=Appointment.Status.SCHEDULED).count() == 0
    assert TreatmentSession.objects.filter(plan=plan, state="scheduled").count() == 0
    response = _page(client_for("clinician_a"), personas.a1)
    text = words(response)
    assert "Before a plan" not in text
    assert "Last treatment plan: discontinued" in text
    assert _dd(response, "ended-status") == "Discontinued"
    assert _dd(response, "ended-when") == "Fri 20 Nov 2026, 11:30 by Clinician A"
    assert _dd(response, "ended-reason") == REASON
    assert _dd(response, "ended-sessions").startswith("1 of 2 planned sessions held (1 cancelled)")
    # The way on: a new plan, with the steps it needs, and the form for the prescriber.
    assert "What next: a further course is a new treatment plan" in text
    assert "Before a new plan" in text
    assert "Create plan and appointments" in text


def test_a_plan_ended_without_a_record_of_how_takes_the_patients_stage(
    personas: Any, client_for: Any, clock: Any
) -> None:
    """A plan ended before the plan kept how and why it ended (the demo's courses were): the patient's
    stage says how, and the page says when and why were not recorded."""
    session = make_session(personas.a1, route="iv", state="discharged")
    TreatmentPlan.objects.filter(pk=session.plan_id).update(status=TreatmentPlan.Status.ENDED)
    Patient.objects.filter(pk=personas.a1.pk).update(stage=Patient.Stage.COMPLETED)
    response = _page(client_for("clinician_a"), personas.a1)
    text = words(response)
    assert "Before a plan" not in text
    assert _dd(response, "ended-status") == "Completed"
    assert _dd(response, "ended-when") == "Not recorded (last session held Fri 20 Nov 2026)"
    assert _dd(response, "ended-reason") == "Not recorded"
    assert _dd(response, "ended-sessions").startswith("1 of 1 planned session held")


def test_a_patient_never_planned_still_sees_before_a_plan(personas: Any, client_for: Any) -> None:
    text = words(_page(client_for("clinician_a"), personas.a2))
    assert "Before a plan" in text
    assert "Last treatment plan" not in text and "Earlier treatment plans" not in text


def test_earlier_ended_plans_are_listed_newest_first(personas: Any, client_for: Any, clock: Any) -> None:
    first = _course_ended_by_the_prescriber(personas, clock)
    clock.move_to(dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC))  # the Monday after
    second = make_session(personas.a1, route="iv", state="discharged").plan
    assert second is not None and second.pk != first.pk
    services.end_treatment_plan(plan=second, user=personas.clinician_a, ended_as="completed")
    response = _page(client_for("clinician_a"), personas.a1)
    assert _dd(response, "ended-status") == "Completed"
    assert _dd(response, "ended-reason") == "Not recorded"
    earlier = re.search(r'data-testid="earlier-plans">(.*?)</section>', response.content.decode(), re.S)
    assert earlier is not None
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", earlier.group(1))
    assert [status for _, status in rows] == ["Discontinued"]
    assert REASON in html.unescape(earlier.group(1))


def test_a_nurse_sees_the_ended_plan_and_that_a_new_one_is_a_prescribers_decision(
    personas: Any, client_for: Any, clock: Any
) -> None:
    from django.test import Client

    from conftest import login
    from tests.support.pathway import make_nurse

    _course_ended_by_the_prescriber(personas, clock)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    text = words(_page(nurse, personas.a1))
    assert "Last treatment plan: discontinued" in text
    assert "(a prescriber's decision)" in text
    assert "Only a prescriber of this clinic can create a treatment plan." in text


def test_the_api_lists_the_ended_plan_with_how_when_who_and_why(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _course_ended_by_the_prescriber(personas, clock)
    response = client_for("clinician_a").get(f"/api/v1/patients/{personas.a1.public_id}/plans")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["public_id"] == str(plan.public_id)
    assert row["status"] == "ended" and row["ended_as"] == "discontinued"
    assert row["ended_by"] == "Clinician A" and row["end_reason"] == REASON
    assert row["ended_at"].startswith("2026-11-20T16:30:00")
    assert [a["status"] for a in row["appointments"]] == ["completed", "cancelled"]


def test_the_patient_is_told_the_course_has_ended_not_that_the_clinic_books_the_next(
    personas: Any, client_for: Any, clock: Any
) -> None:
    _course_ended_by_the_prescriber(personas, clock)
    response = client_for("a1").get(reverse("treatments:my_appointments"))
    text = words(response)
    assert "Your course of treatment has ended, so no sessions are booked." in text
    assert "Your clinic books the next one with you" not in text
    # The session that was booked ahead is shown as cancelled, not as one to arrange a ride home for.
    assert "cancelled" in text and "Please arrange a ride home" not in text


def test_ending_a_plan_is_a_prescribers_decision_with_a_known_ending(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged")
    plan = session.plan
    assert plan is not None
    with pytest.raises(NotPermitted):
        services.end_treatment_plan(plan=plan, user=personas.admin_a, ended_as="completed")
    with pytest.raises(FieldError) as refused:
        services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="finished")
    assert refused.value.field == "ended_as" and "completed, discontinued" in refused.value.message
    with pytest.raises(FieldError) as long_reason:
        services.end_treatment_plan(
            plan=plan, user=personas.clinician_a, ended_as="completed", reason="x" * 1001
        )
    assert long_reason.value.field == "end_reason"
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ACTIVE and plan.ended_at is None
    services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="completed")
    with pytest.raises(ConflictError):
        services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="completed")


def test_a_plan_with_a_session_in_the_chair_is_not_ended(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing")
    assert session.plan is not None
    with pytest.raises(ConflictError) as refused:
        services.end_treatment_plan(plan=session.plan, user=personas.clinician_a, ended_as="discontinued")
    assert "discharge or cancel it" in refused.value.message
    session.plan.refresh_from_db()
    assert session.plan.status == TreatmentPlan.Status.ACTIVE
