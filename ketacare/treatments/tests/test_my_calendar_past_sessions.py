"""The patient's calendar file (my-appointments.ics), read back with icalendar: only a session still ahead
asks for a ride home and says CONFIRMED; a completed one carries no status (iCalendar has no word for
it), a cancelled one says CANCELLED, and one that is over asks nothing. Each keeps its UID, so a calendar
that imported an earlier copy updates the event (its SEQUENCE goes up with each step)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from ketacare.treatments.models import Appointment, TreatmentSession
from ketacare.treatments.services import book_maintenance_session, cancel_session
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 10:00 in New York (clinic A).
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
RIDE_HOME = "Please arrange a ride home."


def _book(patient: Any, *, starts_at: dt.datetime, booked_at: dt.datetime) -> Appointment:
    plan = patient.treatment_plans.get(status="active")
    with time_machine.travel(booked_at, tick=False):
        return book_maintenance_session(
            plan=plan, user=patient.primary_clinician, starts_at=starts_at, now=booked_at
        )


def _cancel(appointment: Appointment, *, at: dt.datetime) -> None:
    session = TreatmentSession.objects.get(appointment=appointment)
    with time_machine.travel(at, tick=False):
        cancel_session(session=session, user=session.patient.primary_clinician, reason="Patient unwell")


@pytest.fixture
def appointments(personas: Any) -> dict[str, Appointment]:
    patient = personas.a1
    completed = make_session(patient, route="iv", state="discharged", now=NOW - dt.timedelta(days=7))
    assert completed.appointment is not None
    earlier = NOW - dt.timedelta(days=6)
    booked = {
        "completed": completed.appointment,
        "over": _book(patient, starts_at=NOW - dt.timedelta(days=3), booked_at=earlier),
        "cancelled before it": _book(patient, starts_at=NOW - dt.timedelta(days=2), booked_at=earlier),
        "cancelled ahead": _book(patient, starts_at=NOW + dt.timedelta(days=1), booked_at=earlier),
        "ahead": _book(patient, starts_at=NOW + dt.timedelta(days=2), booked_at=earlier),
    }
    _cancel(booked["cancelled before it"], at=NOW - dt.timedelta(days=4))
    _cancel(booked["cancelled ahead"], at=NOW - dt.timedelta(hours=1))
    for appointment in booked.values():
        appointment.refresh_from_db()
    return booked


def _events(client: Any) -> dict[str, Any]:
    response = client.get(reverse("treatments:my_appointments_ics"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]).removesuffix("@ketacare"): event for event in calendar.walk("VEVENT")}


def test_only_a_session_ahead_is_confirmed_and_asks_for_a_ride_home(
    appointments: dict[str, Appointment], client_for: Any
) -> None:
    assert appointments["completed"].status == Appointment.Status.COMPLETED
    with time_machine.travel(NOW, tick=False):
        events = _events(client_for("a1"))
    by_name = {name: events[str(a.public_id)] for name, a in appointments.items()}
    assert len(events) == len(appointments)  # past sessions stay, so an imported copy is updated

    ahead = by_name.pop("ahead")
    assert str(ahead["status"]) == "CONFIRMED"
    assert str(ahead["description"]).startswith(RIDE_HOME)
    assert ahead.decoded("dtstart") == NOW + dt.timedelta(days=2)
    assert "sequence" not in ahead

    for name, event in by_name.items():
        assert RIDE_HOME not in str(event["description"]), name
        assert "Clinic phone: +1 555 0100" in str(event["description"]), name

    completed = by_name["completed"]
    assert "status" not in completed  # RFC 5545 has no COMPLETED for an event; never CONFIRMED
    assert str(completed["summary"]) == "Treatment session at Clinic A (completed)"
    assert completed.decoded("dtstart") < NOW

    for name in ("cancelled before it", "cancelled ahead"):
        assert str(by_name[name]["status"]) == "CANCELLED", name
        assert str(by_name[name]["summary"]) == "Cancelled: treatment session at Clinic A", name
        assert str(by_name[name]["description"]).startswith("This session is cancelled."), name

    # Booked and never cancelled, now over: it asks for nothing more.
    assert str(by_name["over"]["summary"]) == "Treatment session at Clinic A"
    assert by_name["over"].decoded("dtend") <= NOW

    assert [int(by_name[name]["sequence"]) for name in ("over", "completed", "cancelled ahead")] == [1, 2, 2]


def test_the_same_session_loses_its_ride_home_once_it_is_over(
    appointments: dict[str, Appointment], client_for: Any
) -> None:
    uid = str(appointments["ahead"].public_id)
    with time_machine.travel(NOW, tick=False):
        before = _events(client_for("a1"))[uid]
    end = appointments["ahead"].starts_at + dt.timedelta(minutes=appointments["ahead"].duration_min)
    with time_machine.travel(end + dt.timedelta(minutes=1), tick=False):
        after = _events(client_for("a1"))[uid]
    assert RIDE_HOME in str(before["description"]) and RIDE_HOME not in str(after["description"])
    assert int(after.get("sequence", 0)) > int(before.get("sequence", 0))
