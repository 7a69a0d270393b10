"""The patient's appointments page: "you are at the clinic now" for the session in the chair, a ride home
to arrange for the ones ahead, and the sessions already completed listed below."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _text(client: Any) -> str:
    response = client.get(reverse("treatments:my_appointments"))
    assert response.status_code == 200
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def test_in_the_chair_the_page_says_you_are_here(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="observing")
    text = _text(client_for("a1"))
    assert "You are at the clinic now. Tell the staff how you feel." in text
    assert "Please arrange a ride home." not in text  # the only appointment is the one in progress
    assert "No upcoming appointments" not in text


def test_a_completed_session_is_listed_under_earlier_sessions(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged")
    text = _text(client_for("a1"))
    assert "No upcoming appointments. Your clinic books the next one with you." in text
    assert "Earlier sessions" in text
    assert session.appointment is not None
    assert ": completed" in text
    assert "You are at the clinic now" not in text


def test_a_booked_session_says_until_when_so_the_ride_home_can_be_arranged(
    personas: Any, client_for: Any
) -> None:
    import zoneinfo

    # Booked ahead: one whose booked time is over asks for no ride (companion/tests/test_missed_appointments.py).
    session = make_session(
        personas.a1, route="iv", state="scheduled", now=timezone.now() + dt.timedelta(hours=3)
    )
    appointment = session.appointment
    assert appointment is not None
    ends = appointment.ends_at.astimezone(zoneinfo.ZoneInfo(personas.a1.time_zone))
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=appointment.duration_min)
    text = _text(client_for("a1"))
    assert f"Please arrange a ride home. Booked until about {ends:%H:%M}: ask whoever collects you" in text
