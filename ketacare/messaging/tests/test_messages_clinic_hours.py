"""What the messages pages promise, measured against the clinic's opening hours.

"An answer can take up to 24 hours" cannot hold from Saturday 13:00 to Monday 08:00: the care team reads
messages only while the clinic is open, so the thread says so. A message with emergency words shows the
emergency screen, which at night says the clinic is closed and when it will see the alert, after the
emergency number and the crisis line.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.messaging.services import set_message_policy
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
THREAD = reverse("messaging:thread")


def _notice(text: str) -> str:
    block = re.search(
        r'<aside class="notice notice-warning" role="note" data-testid="not-for-emergencies">.*?</aside>',
        text,
        re.S,
    )
    assert block is not None
    return page_text(block.group(0))


def test_on_saturday_afternoon_the_thread_promises_an_answer_by_the_next_working_day(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        notice = _notice(client_for("a1").get(THREAD).content.decode())
    assert notice.startswith("Not for emergencies.")
    assert (
        "Messages are read during clinic hours (Mon-Fri 08:00-18:00; Sat 09:00-13:00, clinic time); "
        "an answer can take until the next working day." in notice
    )
    assert "24 hours" not in notice
    assert "Your clinic is closed now: it opens on Monday 11 January, 08:00" in notice
    order = [notice.index(s) for s in ("call 911", "988", "+1 555 0100", "+1 555 0111")]
    assert order == sorted(order)


def test_a_clinic_with_a_longer_response_time_promises_no_more_than_it_keeps(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    set_message_policy(clinic_id=personas.clinic_a.pk, response_time_min=3 * 24 * 60)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        notice = _notice(client_for("a1").get(THREAD).content.decode())
        staff = page_text(
            client_for("clinician_a")
            .get(reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)}))
            .content.decode()
        )
    assert (
        "an answer can take up to 72 hours, or until the clinic opens again if that time ends while it is closed."
        in notice
    )
    # Open now: the clinic's own number is the one for something that cannot wait.
    assert "Something that cannot wait: call your clinic on +1 555 0100." in notice
    assert "closed now" not in notice
    # The care team reads what the patient is promised.
    assert "that an answer can take up to 72 hours, or until the clinic opens again" in staff


def _emergency_screen(client: Any, key: str) -> str:
    response = client.post(THREAD, {"idempotency_key": key, "body": "I can't breathe properly"})
    assert response.status_code == 200
    return screen_text(response.content.decode())


def test_at_night_the_red_flag_screen_says_the_clinic_is_closed_after_the_emergency_numbers(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        screen = _emergency_screen(client_for("a1"), "night")
    assert (
        "Your clinic has been alerted, but it is closed now: they will see this when it opens on "
        "Tuesday 12 January, 08:00." in screen
    )
    assert "Messages are not watched all the time: do not wait for an answer." in screen
    order = [
        screen.index(s) for s in ("Call 911", "Call 988", "Call +1 555 0111", "once it is open: +1 555 0100")
    ]
    assert order == sorted(order)
    assert "Call +1 555 0100" not in screen


def test_in_opening_hours_the_red_flag_screen_keeps_its_wording_and_only_then(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        closed = _emergency_screen(client_for("a1"), "saturday")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        screen = _emergency_screen(client_for("a1"), "day")
    # The same patient and clinic: only the clock differs.
    assert "Your clinic has been alerted. Messages" not in closed and "Your clinic: Call" not in closed
    assert (
        "Your clinic has been alerted. Messages are not watched all the time: if you are in danger, "
        "do not wait for an answer." in screen
    )
    assert "closed" not in screen and "+1 555 0111" not in screen
    order = [screen.index(s) for s in ("Call 911", "Call 988", "Your clinic: Call +1 555 0100")]
    assert order == sorted(order)


def test_in_the_chair_after_closing_time_the_red_flag_screen_sends_the_patient_to_the_staff(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        make_session(personas.a1, state="observing", now=SATURDAY_AFTERNOON)
        screen = _emergency_screen(client_for("a1"), "in-the-chair")
    assert screen.index("You are at the clinic: tell a member of staff now.") < screen.index("Call 911")
    assert "closed" not in screen and "+1 555 0111" not in screen
