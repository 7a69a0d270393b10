"""Advice after a new symptom follows where the patient is. In the chair (a session checked in and not
discharged) the staff are a few steps away: the answer says to tell them now, not to contact the
clinic. Once discharged, contacting the clinic is the advice."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _answer(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303, sent.content
    return client.get(sent["Location"]).content.decode()


def _box(page: str) -> str:
    """The answer's box (the first section with role="status"), as text."""
    found = re.search(r'<section class="answer[^"]*" role="status".*?</section>', page, re.S)
    assert found is not None, "no answer box on the page"
    return page_text(found.group(0))


def test_a_severe_symptom_while_observed_says_tell_the_staff_with_you_now(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, state="observing")
    page = _answer(client_for("a1"), symptom="nausea", severity_nausea="severe")
    box = _box(page)
    assert 'data-level="contact_clinic"' in page
    assert box.startswith("Tell the staff with you now")
    assert "You are at the clinic: tell a member of staff now." in box
    assert "Tell them what you told us here: Feeling sick (nausea)." in box
    for contradiction in ("contact your clinic", "Contact your clinic", "Call "):
        assert contradiction not in box, contradiction
    # In case the session was left open after they went home, the clinic's number is still there.
    assert "If you have already left the clinic, contact your clinic today: Call +1 555 0100" in page_text(
        page
    )


def test_a_symptom_that_began_today_while_waiting_for_the_dose_says_tell_the_staff(
    personas: Any, client_for: Any
) -> None:
    # The last session was four days ago; today's is checked in and not yet dosed.
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=4))
    make_session(personas.a1, state="checked_in")
    today = timezone.localdate(timezone=ZoneInfo(personas.a1.time_zone))
    page = _answer(
        client_for("a1"),
        symptom="headache",
        severity_headache="mild",
        onset_headache=f"day:{today.isoformat()}",
    )
    box = _box(page)
    assert 'data-level="contact_clinic"' in page
    assert box.startswith("Tell the staff with you now")
    assert "Please contact your clinic" not in box and "Contact your clinic today" not in box


def test_once_discharged_a_severe_symptom_says_contact_your_clinic(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    page = _answer(client_for("a1"), symptom="nausea", severity_nausea="severe")
    box = _box(page)
    assert 'data-level="contact_clinic"' in page
    assert box.startswith("Please contact your clinic")
    assert "tell a member of staff" not in box and "Tell the staff" not in box
