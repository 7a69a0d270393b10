"""A course does not end while the patient has an unresolved suicide-risk or emergency alert.

The same rule as a dose and a discharge (docs/decisions/0013): the end-course card names each alert with
a link to it and offers no form; a posted ending and the API's are refused (422 on the page, 409 on the
API) with the alert named, and nothing changes. Once the alert is resolved with what was done, the
course ends as before.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert, resolve_alert
from ketacare.treatments.models import TreatmentPlan, TreatmentSession
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db

TITLE = "PHQ-9 question 9 scored 1: suicide-risk item"


def _plan_and_alert(personas: Any) -> tuple[TreatmentPlan, Alert]:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    with transaction.atomic():
        alert = raise_alert(
            patient=personas.a1,
            source=Alert.Source.PHQ9_ITEM9,
            severity=Alert.Severity.URGENT,
            title=TITLE,
            detail="Item 9 answered 1 (several days).",
            dedupe_key="phq9-item9:end-course",
        )
    return plan, alert


def _form(plan: TreatmentPlan) -> dict[str, str]:
    return {
        "plan_id": str(plan.public_id),
        "booked": "0",
        "ended_as": "discontinued",
        "end_reason": "Stopped coming.",
        "confirm": "on",
    }


def _still_active(plan: TreatmentPlan) -> None:
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ACTIVE and plan.ended_at is None
    assert not TreatmentSession.objects.filter(plan=plan, state="cancelled").exists()


REFUSAL = (
    f"The course cannot end while the patient's urgent alert \u201c{TITLE}\u201d (raised Fri 20 Nov 10:00) "
    "is unresolved: assess the patient and resolve it with what was done first, then end the course."
)


def test_the_card_lists_the_open_alert_with_its_link_and_offers_no_form(
    personas: Any, client_for: Any, clock: Any
) -> None:
    _, alert = _plan_and_alert(personas)
    page = client_for("clinician_a").get(reverse("treatments:plan", args=[personas.a1.public_id]))
    assert page.status_code == 200
    html = page.content.decode()
    card = html.split('data-testid="end-course"', 1)[1].split("</section>", 1)[0]
    assert "The course cannot end while this alert is unresolved" in words(page)
    assert reverse("alerts:detail", args=[alert.public_id]) in card
    assert f"Urgent alert \u201c{TITLE}\u201d" in card
    assert "open: nobody has acknowledged it" in card
    assert "<form" not in card
    assert reverse("treatments:end_plan", args=[personas.a1.public_id]) not in html


def test_a_posted_ending_is_refused_naming_the_alert_and_changes_nothing(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan, _ = _plan_and_alert(personas)
    response = client_for("clinician_a").post(
        reverse("treatments:end_plan", args=[personas.a1.public_id]), _form(plan)
    )
    assert response.status_code == 422
    assert f"Not ended, nothing was changed: {REFUSAL}" in words(response)
    _still_active(plan)


def test_the_api_answers_409_with_the_same_words(personas: Any, client_for: Any, clock: Any) -> None:
    plan, _ = _plan_and_alert(personas)
    response = client_for("clinician_a").post(
        f"/api/v1/patients/{personas.a1.public_id}/plans/{plan.public_id}/end",
        json.dumps({"ended_as": "discontinued"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "plan", "message": REFUSAL}]
    _still_active(plan)


def test_once_the_alert_is_resolved_with_what_was_done_the_course_ends(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan, alert = _plan_and_alert(personas)
    resolve_alert(
        alert=alert,
        user=personas.clinician_a,
        note="Phoned the patient: risk assessment done, no plan or intent, safety plan agreed.",
        outcome="reached_by_phone",
        assessed_by="Dr Lee, prescriber",
    )
    client = client_for("clinician_a")
    page = client.get(reverse("treatments:plan", args=[personas.a1.public_id]))
    assert 'data-testid="end-alerts"' not in page.content.decode()
    response = client.post(
        reverse("treatments:end_plan", args=[personas.a1.public_id]), _form(plan), follow=True
    )
    assert "Course ended: discontinued; nothing was booked." in words(response)
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ENDED
