"""Booking or moving a session less than 24 hours from another session of the patient asks first.

The dose there would be held at the run-sheet (docs/decisions/0031), so the plan page's "Book" and "Move"
answer with the question, naming the other session on the clinic's clock, and a button that books the
same time anyway; nothing is written until the prescriber confirms. The API answers 409 naming
``book_anyway``, and books with it.

Clinic A (the personas) is in America/New_York; the clock stands on Friday 20 November 2026, 10:00 there.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import services
from ketacare.treatments.models import Appointment, TreatmentPlan
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db


def _plan_with_two_booked(personas: Any) -> TreatmentPlan:
    """One infusion held today, maintenance booked Fri 27 Nov and Fri 4 Dec at 10:00 (New York)."""
    plan = make_session(personas.a1, route="iv", state="discharged").plan
    assert plan is not None
    for days in (7, 14):
        services.book_maintenance_session(
            plan=plan,
            user=personas.clinician_a,
            starts_at=dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC) + dt.timedelta(days=days),
            now=dt.datetime.now(dt.UTC),
        )
    return plan


def _book_url(personas: Any) -> str:
    return reverse("treatments:book_maintenance", args=[personas.a1.public_id])


def test_booking_the_same_day_as_another_session_asks_and_books_once_confirmed(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    client = client_for("clinician_a")
    asked = client.post(_book_url(personas), {"starts_at": "2026-11-27T16:00"})
    assert asked.status_code == 409
    text = words(asked)
    assert (
        "Not booked yet, nothing was changed: This is less than 24 hours after another session "
        "(Fri 27 Nov 10:00). Book anyway?"
    ) in text
    html = asked.content.decode()
    question = html.split('data-testid="confirm-booking"', 1)[1].split("</div>", 1)[0]
    assert f'action="{_book_url(personas)}"' in question
    assert 'name="starts_at" value="2026-11-27T16:00"' in question
    assert 'name="book_anyway" value="on"' in question
    assert plan.appointments.count() == 3
    booked = client.post(
        _book_url(personas), {"starts_at": "2026-11-27T16:00", "book_anyway": "on"}, follow=True
    )
    assert "Maintenance session booked for Fri 27 Nov 2026 16:00." in words(booked)
    assert plan.appointments.count() == 4


def test_booking_less_than_24_hours_after_todays_dose_names_it(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    # Today's session was booked for 08:00 and dosed from 08:50: the dose is what counts.
    session = plan.sessions.exclude(dose_started_at=None).get()
    assert session.dose_started_at == dt.datetime(2026, 11, 20, 13, 50, tzinfo=dt.UTC)
    asked = client_for("clinician_a").post(_book_url(personas), {"starts_at": "2026-11-21T08:30"})
    assert asked.status_code == 409
    assert "This is less than 24 hours after another session (Fri 20 Nov 08:50). Book anyway?" in words(asked)
    assert plan.appointments.count() == 3


def test_moving_within_24_hours_of_another_session_asks_first(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    last = plan.appointments.order_by("-starts_at").first()
    assert last is not None
    url = reverse("treatments:appointment_reschedule", args=[personas.a1.public_id, last.public_id])
    client = client_for("clinician_a")
    asked = client.post(url, {"starts_at": "2026-11-27T08:30"})
    assert asked.status_code == 409
    assert "This is less than 24 hours before another session (Fri 27 Nov 10:00). Book anyway?" in words(
        asked
    )
    assert f"Move appointment {last.number} anyway" in words(asked)
    last.refresh_from_db()
    assert last.starts_at == dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    # A time a day and more from every other session moves without a question.
    assert client.post(url, {"starts_at": "2026-11-30T10:00"}).status_code == 302
    # Confirmed, the close time is booked.
    client.post(url, {"starts_at": "2026-11-27T08:30", "book_anyway": "on"})
    last.refresh_from_db()
    assert last.starts_at == dt.datetime(2026, 11, 27, 13, 30, tzinfo=dt.UTC)
    assert last.status == Appointment.Status.SCHEDULED


def test_the_api_answers_409_naming_book_anyway_and_books_with_it(
    personas: Any, client_for: Any, clock: Any
) -> None:
    plan = _plan_with_two_booked(personas)
    client = client_for("clinician_a")
    url = f"/api/v1/patients/{personas.a1.public_id}/plan/maintenance"
    body = {"starts_at": "2026-11-27T16:00:00-05:00"}
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {
            "field": "book_anyway",
            "message": "This is less than 24 hours after another session (Fri 27 Nov 10:00). Book anyway?",
        }
    ]
    assert plan.appointments.count() == 3
    confirmed = client.post(url, json.dumps(body | {"book_anyway": True}), content_type="application/json")
    assert confirmed.status_code == 201, confirmed.content
    assert plan.appointments.count() == 4
