"""When a symptom began is what the patient said, never the time they sent the check-in.

"It began today" on the onset picker reads back as "since today" (and, on a later day, "since Monday 7
December"); "about 30 min after the treatment" as that; a symptom whose start the patient did not give
reads "reported today", with no clock time dressed up as its start. Each page that lists an open symptom
is read as text, as the patient reads it on a phone.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.models import SymptomReport
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db

# Patient A1 keeps New York time. The session: Thursday 3 December 2026, 10:00. The check-in: Monday 7
# December, 14:32; the next look: Tuesday 8 December, 09:00.
DOSED = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
MONDAY_1432 = dt.datetime(2026, 12, 7, 19, 32, tzinfo=dt.UTC)
TUESDAY_0900 = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.UTC)


def _send(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303, sent.content
    return client.get(sent["Location"]).content.decode()


def _headache_began_today(client_for: Any, personas: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(MONDAY_1432, tick=False):
        _send(
            client_for("a1"),
            symptom="headache",
            severity_headache="moderate",
            onset_headache="day:2026-12-07",
        )


def _since_last_time(client: Any) -> str:
    """The check-in form's "Since last time" rows, as text."""
    page = client.get(reverse("checkins:checkin")).content.decode()
    block = re.search(r'<fieldset class="picker open-episodes-form">.*?</fieldset>', page, re.S)
    assert block is not None, "no open symptom on the form"
    return page_text(block.group(0))


def test_began_today_reads_since_today_on_the_check_in_form(personas: Any, client_for: Any) -> None:
    _headache_began_today(client_for, personas)
    with time_machine.travel(MONDAY_1432 + dt.timedelta(minutes=20), tick=False):
        rows = _since_last_time(client_for("a1"))
    assert "Headache since today" in rows
    assert "14:32" not in rows


def test_began_today_reads_as_its_day_the_next_morning(personas: Any, client_for: Any) -> None:
    _headache_began_today(client_for, personas)
    with time_machine.travel(TUESDAY_0900, tick=False):
        rows = _since_last_time(client_for("a1"))
    assert "Headache since Monday 7 December" in rows
    assert "14:32" not in rows and "today" not in rows


def test_the_list_of_open_symptoms_says_since_today(personas: Any, client_for: Any) -> None:
    _headache_began_today(client_for, personas)
    with time_machine.travel(MONDAY_1432 + dt.timedelta(minutes=20), tick=False):
        text = page_text(client_for("a1").get(reverse("checkins:episodes")).content.decode())
    assert "Is your headache gone? since today" in text
    assert "14:32" not in text


def test_about_30_minutes_after_the_session_reads_back_as_said(personas: Any, client_for: Any) -> None:
    dosed = MONDAY_1432 - dt.timedelta(hours=2)
    make_dose(personas.a1, started_at=dosed)
    with time_machine.travel(MONDAY_1432, tick=False):
        client = client_for("a1")
        _send(client, symptom="headache", severity_headache="mild", onset_headache="30")
        rows = _since_last_time(client)
    assert "Headache since about 30 minutes after your session" in rows
    assert "14:32" not in rows


def test_a_symptom_whose_start_was_not_given_says_when_it_was_reported(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=MONDAY_1432 - dt.timedelta(hours=2))
    with time_machine.travel(MONDAY_1432, tick=False):
        client = client_for("a1")
        _send(client, symptom="headache", severity_headache="mild")
        rows = _since_last_time(client)
    assert "Headache reported today" in rows
    assert "since" not in rows.replace("Since last time", "") and "14:32" not in rows


def test_the_answer_page_names_no_check_in_time_as_the_start_of_a_red_flag(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(MONDAY_1432, tick=False):
        _send(client_for("a1"), symptom="chest_pain")
    assert SymptomReport.objects.get(symptom_id="chest_pain").resolved_at is None
    with time_machine.travel(MONDAY_1432 + dt.timedelta(hours=1), tick=False):
        page = _send(client_for("a1"), mood="6")
    block = re.search(r'<section class="emergency-screen still-open".*?</section>', page, re.S)
    assert block is not None
    text = page_text(block.group(0))
    assert "Chest pain reported today" in text
    assert "since" not in text and "14:32" not in text
