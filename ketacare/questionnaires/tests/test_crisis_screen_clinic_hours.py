"""The PHQ-9 item 9 crisis screen tells the truth about the clinic at this moment.

At night the clinic is closed: "your clinic has been alerted" alone would have a frightened patient wait
for a call back, and "Your clinic: Call ..." would have them ring a closed clinic. So, while it is closed,
the screen says when the clinic will see the alert, offers the out-of-hours line where there is one, and
puts the crisis line and the emergency number before any clinic number. In opening hours the wording is
as it always was. The crisis line and the emergency number show either way.
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
    page_text,
    screen_text,
    set_opening_hours,
)
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

FILL = reverse("questionnaires:fill", kwargs={"instrument": "phq9"})
ITEM_9_POSITIVE = {f"phq9.q{i}": "1" for i in range(1, 10)}


def _crisis_screen(client: Any) -> str:
    sent = client.post(FILL, {"idempotency_key": uuid.uuid4().hex, **ITEM_9_POSITIVE})
    assert sent.status_code == 303
    page = client.get(sent["Location"])
    assert page.status_code == 200
    return screen_text(page.content.decode(), "emergency-screen crisis")


def test_at_night_the_screen_says_the_clinic_is_closed_and_puts_the_crisis_numbers_first(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        client = client_for("a1")
        screen = _crisis_screen(client)
        clinic_page = page_text(client.get(reverse("patients:my_clinic")).content.decode())
    # The screen and the clinic page agree: closed now.
    assert "The clinic is closed now" in clinic_page
    assert (
        "Your clinic has been alerted, but it is closed now: they will see this when it opens on "
        "Tuesday 12 January, 08:00." in screen
    )
    assert "Do not wait for them to contact you" in screen
    crisis, emergency, clinic = (screen.index(s) for s in ("Call 988", "Call 911", "+1 555 0100"))
    assert crisis < clinic and emergency < clinic
    # The clinic's number is there for when it opens, not offered as the call to make now.
    assert "Your clinic, once it is open: +1 555 0100" in screen
    assert "Call +1 555 0100" not in screen
    assert "Out-of-hours line" not in screen  # none configured


def test_when_closed_the_out_of_hours_line_is_offered_after_the_crisis_numbers(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(
        personas.clinic_a,
        personas.admin_a,
        after_hours_phone="+1 555 0111",
        after_hours_instructions="The on-call nurse answers the out-of-hours line.",
    )
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        screen = _crisis_screen(client_for("a1"))
    assert "they will see this when it opens on Monday 11 January, 08:00." in screen
    assert (
        "Out-of-hours line, for something that cannot wait until the clinic opens: Call +1 555 0111" in screen
    )
    assert "The on-call nurse answers the out-of-hours line." in screen
    order = [
        screen.index(s) for s in ("Call 988", "Call 911", "Call +1 555 0111", "once it is open: +1 555 0100")
    ]
    assert order == sorted(order)


def test_in_opening_hours_the_screen_keeps_its_wording_and_only_then(personas: Any, client_for: Any) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        closed = _crisis_screen(client_for("a1"))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        screen = _crisis_screen(client_for("a1"))
    # The same patient and clinic: only the clock differs.
    assert "Your clinic has been alerted." not in closed and "Your clinic: Call" not in closed
    assert (
        "You told us about thoughts of death or of hurting yourself. Your clinic has been alerted." in screen
    )
    assert "closed" not in screen and "+1 555 0111" not in screen
    order = [
        screen.index(s)
        for s in ("Crisis line: Call 988", "Emergency: Call 911", "Your clinic: Call +1 555 0100")
    ]
    assert order == sorted(order)


def test_in_the_chair_after_closing_time_the_crisis_screen_sends_the_patient_to_the_staff(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        make_session(personas.a1, state="observing", now=SATURDAY_AFTERNOON)
        screen = _crisis_screen(client_for("a1"))
    assert screen.index("You are at the clinic: tell a member of staff now.") < screen.index("Call 988")
    assert "closed" not in screen and "once it is open" not in screen
    assert "Your clinic: Call +1 555 0100" in screen
