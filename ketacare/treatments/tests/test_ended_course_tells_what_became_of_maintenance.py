"""An ended course says what became of maintenance, not the plan's "decide at the review".

A plan made with maintenance "Decide at the end-of-induction review" kept saying so once the course had
ended, as if a decision were still to come. The ended course now says what happened: the maintenance
sessions held, and those booked and cancelled.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import services
from ketacare.treatments.models import TreatmentPlan
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

STALE = "Decide at the end-of-induction review"


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _maintenance(client: Any, patient: Any) -> tuple[str, str]:
    """The ended course's Maintenance line, and the text of the ended course's card."""
    response = client.get(reverse("treatments:plan", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 200
    body = response.content.decode()
    found = re.search(r'<dd data-testid="ended-maintenance">(.*?)</dd>', body, re.S)
    assert found is not None
    card = body.split('data-testid="ended-plan">', 1)[1].split("</section>", 1)[0]
    return _plain(found.group(1)), _plain(card)


def test_a_course_ended_before_its_booked_maintenance_says_none_was_held(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None and plan.maintenance_policy == TreatmentPlan.MaintenancePolicy.DECIDE_AT_REVIEW
    services.book_maintenance_session(
        plan=plan,
        user=personas.clinician_a,
        starts_at=dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC),
        now=dt.datetime.now(dt.UTC),
    )
    services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="discontinued")
    line, text = _maintenance(client_for("clinician_a"), personas.a1)
    assert line == "None held (1 booked and cancelled)"
    assert STALE not in text


def test_a_course_with_maintenance_held_counts_the_sessions(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    # A week later the patient comes back for a maintenance session on the same plan, and is discharged.
    clock.move_to(dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC))
    again = make_session(personas.a1, route="iv", state="discharged")
    assert again.plan_id == plan.pk and again.appointment is not None
    assert again.appointment.phase == "maintenance"
    services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="completed")
    line, text = _maintenance(client_for("clinician_a"), personas.a1)
    assert line == "1 session held"
    assert STALE not in text


def test_a_course_without_maintenance_says_none_was_held(personas: Any, client_for: Any, clock: Any) -> None:
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    services.end_treatment_plan(plan=plan, user=personas.clinician_a, ended_as="completed")
    line, text = _maintenance(client_for("clinician_a"), personas.a1)
    assert line == "None held"
    assert STALE not in text


def test_the_active_plan_still_shows_its_maintenance_policy(
    personas: Any, client_for: Any, clock: Any
) -> None:
    make_session(personas.a1, route="iv", state="discharged")
    response = client_for("clinician_a").get(
        reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})
    )
    card = response.content.decode().split('aria-labelledby="plan-h">', 1)[1].split("</section>", 1)[0]
    assert f"Maintenance {STALE}" in _plain(card)
