"""My clinic and the preparation checklist say the same about eating and drinking before a session.

When the clinic has written no instruction and the patient's treatment has no published fasting rule,
both pages say one thing: ask the clinic. My clinic gives its number there and does not send the
patient to the checklist for a rule the checklist does not have.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # Clinic A's zone
SATURDAY = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
TUESDAY_AFTERNOON = dt.datetime(2026, 12, 8, 14, 0, tzinfo=NEW_YORK)
ASK = (
    "There is no published fasting rule for this treatment and your clinic has not set its own "
    "instruction yet: ask the clinic what to do about eating and drinking before your session."
)


def _text(client: Any, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_without_a_clinic_instruction_or_published_rule_both_pages_say_ask_the_clinic(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.a1.clinic
    assert not clinic.fasting_instructions  # Clinic A has written none
    client = client_for("a1")
    with time_machine.travel(SATURDAY, tick=False):
        make_planned_session(personas.a1, starts_at=TUESDAY_AFTERNOON)  # IV: no published fasting rule
        my_clinic = _text(client, "patients:my_clinic")
        checklist = _text(client, "checkins:preparation")
    assert ASK in checklist
    fasting = my_clinic.split("Before a session: eating and drinking", 1)[1]
    assert fasting.startswith(f" {ASK} Call {clinic.name} on {clinic.phone} .")  # " ." where a link ends
    assert "general rule" not in my_clinic
