"""The patient's appointments page lists cancelled sessions small, under "Cancelled" after the booked
ones (an ended course's cancelled sessions are not bookings), and offers the calendar file only when
something is booked ahead."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.treatments.models import Appointment
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

ICS = reverse("treatments:my_appointments_ics")


def _page(client: Any) -> str:
    response = client.get(reverse("treatments:my_appointments"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _booked(patient: Any, days: int) -> Appointment:
    session = make_session(
        patient, route="iv", state="scheduled", now=timezone.now() + dt.timedelta(days=days, hours=3)
    )
    assert session.appointment is not None
    return session.appointment


def _cancel(appointment: Appointment) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)


def test_only_cancelled_ahead_no_cards_and_no_calendar_file(personas: Any, client_for: Any) -> None:
    for days in (2, 5):
        _cancel(_booked(personas.a1, days))
    page = _page(client_for("a1"))
    assert ICS not in page and "Add to my calendar" not in page
    assert 'class="card appointment' not in page and "Please arrange a ride home" not in page
    cancelled = page[page.index("<h2>Cancelled</h2>") :]
    cancelled = cancelled[: cancelled.index("</ul>")]
    assert cancelled.count(": cancelled</li>") == 2


def test_a_booking_ahead_brings_the_calendar_file_and_comes_before_the_cancelled(
    personas: Any, client_for: Any
) -> None:
    _booked(personas.a1, 2)
    _cancel(_booked(personas.a1, 5))
    page = _page(client_for("a1"))
    assert f'href="{ICS}"' in page
    assert page.count('class="card appointment"') == 1
    assert page.index("Please arrange a ride home") < page.index("<h2>Cancelled</h2>")
    assert page.count(": cancelled</li>") == 1
