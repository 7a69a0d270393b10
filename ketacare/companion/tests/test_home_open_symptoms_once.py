"""Home says each open warning sign once, with what to do where the patient is now: in the chair, the
staff with them (never "contact your clinic today" beside "you are at the clinic"); between sessions,
its own block with the "it has gone" link, not again under "Is it gone?". No heading stands empty."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core import knowledge as kb
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.services import book_maintenance_session
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db
# Monday 7 December 2026, 10:00 in New York (clinic A).
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _report(patient: Any, symptom_id: str, at: dt.datetime) -> None:
    submit_checkin(
        patient=patient, idempotency_key=symptom_id, reports=[ReportIn(symptom_id)], mood=5, note="", now=at
    )


def _block(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    return page_text(found.group(0)) if found else ""


def test_in_the_chair_an_open_warning_sign_says_tell_the_staff_with_you_now(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    make_session(patient, route="iv", state="discharged", now=NOW - dt.timedelta(days=4))
    _report(patient, "urinary_symptoms", NOW - dt.timedelta(days=2))
    TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=NOW - dt.timedelta(minutes=30),
        state=TreatmentSession.State.CHECKED_IN,
        checked_in_at=NOW - dt.timedelta(minutes=20),
    )
    with time_machine.travel(NOW, tick=False):
        home = client_for("a1").get(reverse("companion:home")).content.decode()
    assert "You are at the clinic" in page_text(home)
    block = _block(home, r'<section class="emergency-screen still-open".*?</section>')
    assert "Pain or blood when passing urine" in block
    assert "If it is still there: tell the staff with you now." in block
    assert "Contact your clinic today" not in block
    assert kb.knowledge().red_flags["urinary_symptoms"].patient_message not in block


def test_between_sessions_an_open_warning_sign_is_said_once_under_a_heading_with_words(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    session = make_session(patient, route="iv", state="discharged", now=NOW - dt.timedelta(days=4))
    assert session.plan is not None
    with time_machine.travel(NOW - dt.timedelta(days=4), tick=False):
        book_maintenance_session(
            plan=session.plan,
            user=patient.primary_clinician,
            starts_at=NOW + dt.timedelta(days=3),
            now=NOW - dt.timedelta(days=4),
        )
    _report(patient, "worsening_mood", NOW - dt.timedelta(hours=2))
    with time_machine.travel(NOW, tick=False):
        response = client_for("a1").get(reverse("companion:home"))
    home = response.content.decode()
    text = words(response)
    assert text.count("Mood getting worse") == 1
    assert "You told us about this and it may still be there Mood getting worse" in text
    assert "Is it gone?" not in text  # nothing else open
    state = _block(home, r'<section class="patient-state.*?</section>')
    assert state == "Between sessions Your next session is at 10:00 on Thursday 10 December."
    # No heading directly followed by another one.
    assert not re.search(r"</h2>\s*</section>\s*(<section[^>]*>\s*)?<h2", home)
