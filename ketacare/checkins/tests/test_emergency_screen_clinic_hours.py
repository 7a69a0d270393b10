"""The check-in's emergency screen tells the truth about the clinic at this moment.

While the clinic is closed, "your clinic has been alerted" alone would have a patient with chest pain wait
for a call back at night, and "Your clinic: Call ..." would send them to a closed clinic: the screen says
when the clinic will see the alert, offers the out-of-hours line where there is one, and keeps the
emergency number and the crisis line before any clinic number. In opening hours it reads as it always did.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.support.clinic_hours import (
    MONDAY_MORNING,
    SATURDAY_AFTERNOON,
    TUESDAY_NIGHT,
    screen_text,
    set_opening_hours,
)
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _emergency_screen(client: Any) -> str:
    sent = client.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": uuid.uuid4().hex,
            "action": "submit",
            "symptom": "chest_pain",
            "severity_chest_pain": "moderate",
        },
    )
    assert sent.status_code == 303
    page = client.get(sent["Location"])
    assert page.status_code == 200
    return screen_text(page.content.decode())


def test_at_night_the_screen_says_the_clinic_is_closed_after_the_emergency_numbers(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        screen = _emergency_screen(client_for("a1"))
    assert (
        "Your clinic has been alerted, but it is closed now: they will see this when it opens on "
        "Tuesday 12 January, 08:00." in screen
    )
    assert "Your clinic has been alerted. If you are in danger" not in screen
    emergency, crisis, clinic = (screen.index(s) for s in ("Call 911", "Call 988", "+1 555 0100"))
    assert emergency < crisis < clinic
    assert "Your clinic, once it is open: +1 555 0100" in screen and "Call +1 555 0100" not in screen


def test_when_closed_the_out_of_hours_line_comes_after_the_emergency_numbers(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        screen = _emergency_screen(client_for("a1"))
    assert "they will see this when it opens on Monday 11 January, 08:00." in screen
    order = [
        screen.index(s) for s in ("Call 911", "Call 988", "Call +1 555 0111", "once it is open: +1 555 0100")
    ]
    assert order == sorted(order)


def test_in_opening_hours_the_emergency_screen_keeps_its_wording_and_only_then(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        closed = _emergency_screen(client_for("a1"))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        screen = _emergency_screen(client_for("a1"))
    # The same patient and clinic: only the clock differs.
    assert "Your clinic has been alerted. If you" not in closed and "Your clinic: Call" not in closed
    assert "Your clinic has been alerted. If you are in danger, do not wait for them to call you." in screen
    assert "closed" not in screen and "+1 555 0111" not in screen
    order = [screen.index(s) for s in ("Emergency: Call 911", "Call 988", "Your clinic: Call +1 555 0100")]
    assert order == sorted(order)


def test_a_session_running_past_closing_time_sends_the_patient_to_the_staff_not_to_a_closed_clinic(
    personas: Any, client_for: Any
) -> None:
    """In the chair after closing time the clinic is not "closed": its staff are a few steps away."""
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        make_session(personas.a1, state="observing", now=SATURDAY_AFTERNOON)
        screen = _emergency_screen(client_for("a1"))
    assert "You are at the clinic: tell a member of staff now." in screen
    assert "closed" not in screen and "once it is open" not in screen and "Call 911" not in screen
    assert "Your clinic has been alerted." in screen


def test_at_night_the_closed_clinic_line_makes_the_emergency_number_a_call_link(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        client = client_for("a1")
        sent = client.post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": uuid.uuid4().hex,
                "action": "submit",
                "symptom": "chest_pain",
                "severity_chest_pain": "moderate",
            },
        )
        page = client.get(sent["Location"]).content.decode()
    closed = page.split('data-testid="clinic-closed-now"', 1)[1].split("</p>", 1)[0]
    assert '<a class="call" href="tel:911">call 911 now</a>' in closed
