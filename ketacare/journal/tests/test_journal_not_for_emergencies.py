"""The journal page says, like the messages page, that nobody watches it and where to turn instead.

Nobody at the clinic reads the journal as the patient writes, not even shared entries: a patient who
writes about wanting to die there must find the emergency number and the crisis line on the page, and
the clinic as it can be reached now.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.support.clinic_hours import MONDAY_MORNING, SATURDAY_AFTERNOON, page_text, set_opening_hours

pytestmark = pytest.mark.django_db
JOURNAL = reverse("journal:journal")


def _notice(client: Any) -> str:
    page = client.get(JOURNAL)
    assert page.status_code == 200
    block = re.search(
        r'<aside class="notice notice-warning" role="note" data-testid="not-for-emergencies">.*?</aside>',
        page.content.decode(),
        re.S,
    )
    assert block is not None, "the journal page has no not-for-emergencies note"
    return page_text(block.group(0))


def test_the_journal_says_it_is_not_watched_and_gives_the_emergency_numbers(
    personas: Any, client_for: Any
) -> None:
    notice = _notice(client_for("a1"))
    assert notice.startswith("Not watched, not for emergencies.")
    assert "Nobody at your clinic reads your journal as you write it" in notice
    assert "In an emergency call 911." in notice
    assert "Crisis line, for thoughts of suicide or a mental-health crisis: 988." in notice
    assert "Something that cannot wait: call your clinic on +1 555 0100." in notice


def test_the_journal_note_gives_the_patients_own_clinics_numbers(personas: Any, client_for: Any) -> None:
    notice = _notice(client_for("b1"))
    assert "In an emergency call 112." in notice and "0800 1110111" in notice
    assert "911" not in notice and "988" not in notice


def test_when_the_clinic_is_closed_the_journal_note_says_so_and_offers_the_out_of_hours_line(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(SATURDAY_AFTERNOON, tick=False):
        closed = _notice(client_for("a1"))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        open_now = _notice(client_for("a1"))
    assert "Your clinic is closed now: it opens on Monday 11 January, 08:00 (+1 555 0100)." in closed
    assert "Something that cannot wait until then: call the out-of-hours line on +1 555 0111." in closed
    assert closed.index("911") < closed.index("988") < closed.index("+1 555 0100")
    assert (
        "closed" not in open_now
        and "Something that cannot wait: call your clinic on +1 555 0100." in open_now
    )
