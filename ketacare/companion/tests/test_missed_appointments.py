"""A booked appointment whose time has passed without a check-in says so, on the appointments page and
in the calendar file, and is never shown as the next one ("Please arrange a ride home" for a session
that was not held and is over)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from ketacare.treatments.models import Appointment
from ketacare.treatments.services import book_maintenance_session
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db
# Monday 7 December 2026 in New York (clinic A): booked for 10:00, read at 13:38.
BOOKED = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
READ_AT = dt.datetime(2026, 12, 7, 18, 38, tzinfo=dt.UTC)


@pytest.fixture
def missed(personas: Any) -> Appointment:
    """Monday's 10:00 booking, never checked in, and Thursday's still ahead."""
    patient = personas.a1
    session = make_session(patient, route="iv", state="discharged", now=BOOKED - dt.timedelta(days=4))
    assert session.plan is not None
    booked_on = BOOKED - dt.timedelta(days=4)
    with time_machine.travel(booked_on, tick=False):
        monday, _thursday = (
            book_maintenance_session(
                plan=session.plan, user=patient.primary_clinician, starts_at=at, now=booked_on
            )
            for at in (BOOKED, BOOKED + dt.timedelta(days=3))
        )
    return monday


def test_the_appointments_page_says_the_time_has_passed_and_lists_the_next_one_first(
    missed: Appointment, client_for: Any
) -> None:
    with time_machine.travel(READ_AT, tick=False):
        text = words(client_for("a1").get(reverse("treatments:my_appointments")))
    thursday, monday = text.index("Thursday 10 December, 10:00"), text.index("Monday 7 December, 10:00")
    assert thursday < monday
    passed = text[monday:]
    assert passed.startswith(
        "Monday 7 December, 10:00 Clinic A This appointment time has passed. If you missed it, call the "
        "clinic on +1 555 0100."
    )
    assert (
        text.count("Please arrange a ride home.") == 1 and text.index("Please arrange a ride home") < monday
    )


def test_the_calendar_file_says_the_same(missed: Appointment, client_for: Any) -> None:
    with time_machine.travel(READ_AT, tick=False):
        response = client_for("a1").get(reverse("treatments:my_appointments_ics"))
    events = {str(e["uid"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    event = events[f"{missed.public_id}@ketacare"]
    assert str(event["description"]).startswith(
        "This appointment time has passed. If you missed it, call the clinic. Clinic phone: +1 555 0100"
    )
