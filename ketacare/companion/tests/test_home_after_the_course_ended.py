"""Home after the course has ended: it says the course is over (the sessions held, the last one's date)
and what still applies, never that the treatment is "paused", that a first session is coming, or that a
next one is to be booked. A patient never treated keeps the welcome.

Clinic A (the personas) keeps New York time; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.intake.models import Indication
from ketacare.patients.models import Patient
from ketacare.treatments import services
from tests.support.cohort import add_intake
from tests.support.treatments import FRIDAY_MORNING, make_planned_session, make_session

pytestmark = pytest.mark.django_db

# The words that would promise a session still to come, or say the course is only paused.
NOT_AFTER_THE_END = (
    "Your treatment is paused",
    "restarting",
    "Welcome",
    "After your first session this page shows what to expect",
    "No session recorded yet",
    "None booked.",
    "to book",
)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(FRIDAY_MORNING, tick=False) as traveller:
        yield traveller


def _home(client_for: Any) -> tuple[str, str]:
    """The home page's markup, and its text as a person reads it."""
    body = client_for("a1").get(reverse("companion:home")).content.decode()
    return body, " ".join(html.unescape(strip_tags(body)).split())


def _still_applies(body: str) -> str:
    found = re.search(r'<ul data-testid="still-applies">(.*?)</ul>', body, re.S)
    assert found is not None
    return " ".join(html.unescape(strip_tags(found.group(1))).split())


def test_a_completed_course_says_it_is_complete_with_the_sessions_held(
    personas: Any, client_for: Any, clock: Any
) -> None:
    patient = personas.a1
    add_intake(patient, [Indication.TREATMENT_RESISTANT_DEPRESSION], personas.clinician_a)
    make_session(patient, route="iv", state="discharged", now=FRIDAY_MORNING - dt.timedelta(days=7))
    last = make_session(patient, route="iv", state="discharged", now=FRIDAY_MORNING - dt.timedelta(days=3))
    assert last.plan is not None
    services.end_treatment_plan(plan=last.plan, user=personas.clinician_a, ended_as="completed")
    assert Patient.objects.get(pk=patient.pk).stage == Patient.Stage.COMPLETED

    body, text = _home(client_for)
    assert 'data-state="completed"' in body
    assert "Your course of treatment is complete" in text
    # The last session was booked on Tuesday 17 November (three days back, in the morning in New York).
    assert (
        "You had 2 sessions; the last was on Tuesday 17 November 2026. No more sessions are planned." in text
    )
    still = _still_applies(body)
    assert (
        f"If your low mood comes back or gets worse, tell the clinic: call {patient.clinic.name} on "
        f"{patient.clinic.phone}." in still
    )
    assert "You can still check in here at any time" in still
    assert "No new questionnaires will be scheduled. You can still fill one in at any time" in still
    # What still applies gives no dosing advice: there is no dose to plan.
    assert "dose" not in still.lower() and "mg" not in still.split()
    assert "None: your course of treatment has ended." in text
    for words in NOT_AFTER_THE_END:
        assert words not in text, words
    # Check-ins stay open after the course.
    assert reverse("checkins:checkin") in body


def test_a_discontinued_course_says_it_was_stopped_and_nothing_is_booked(
    personas: Any, client_for: Any, clock: Any
) -> None:
    patient = personas.a1
    session = make_session(patient, route="iv", state="discharged", now=FRIDAY_MORNING - dt.timedelta(days=2))
    assert session.plan is not None
    # A maintenance session booked for next week is cancelled with the plan.
    services.book_maintenance_session(
        plan=session.plan,
        user=personas.clinician_a,
        starts_at=FRIDAY_MORNING + dt.timedelta(days=7),
        now=FRIDAY_MORNING,
    )
    services.end_treatment_plan(
        plan=session.plan, user=personas.clinician_a, ended_as="discontinued", reason="Side effects."
    )

    body, text = _home(client_for)
    assert 'data-state="discontinued"' in body
    assert "Your course of treatment was stopped" in text
    assert "You had 1 session, on Wednesday 18 November 2026. No more sessions are planned." in text
    # Without an intake saying what was treated, the symptom is not named as low mood.
    assert (
        f"If what you were treated for comes back or gets worse, tell the clinic: call {patient.clinic.name}"
        in _still_applies(body)
    )
    assert "None: your course of treatment has ended." in text
    for words in NOT_AFTER_THE_END:
        assert words not in text, words


def test_a_course_stopped_before_its_first_session_is_not_a_welcome(
    personas: Any, client_for: Any, clock: Any
) -> None:
    planned = make_planned_session(personas.a1, starts_at=FRIDAY_MORNING + dt.timedelta(days=3))
    assert planned.plan is not None
    services.end_treatment_plan(plan=planned.plan, user=personas.clinician_a, ended_as="discontinued")

    body, text = _home(client_for)
    assert 'data-state="discontinued"' in body
    assert "No session was held in this course. No more sessions are planned." in text
    assert "None: your course of treatment has ended." in text
    for words in NOT_AFTER_THE_END:
        assert words not in text, words


def test_a_patient_never_treated_keeps_the_welcome(personas: Any, client_for: Any, clock: Any) -> None:
    body, text = _home(client_for)
    assert 'data-state="not_started"' in body
    assert "Welcome After your first session this page shows what to expect." in text
    assert "No session recorded yet. After each session this page shows what to expect." in text
    assert f"None booked. Call {personas.clinic_a.name} on {personas.clinic_a.phone} to book." in text
    assert 'data-testid="still-applies"' not in body
