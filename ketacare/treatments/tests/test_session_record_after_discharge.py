"""A session's record stays on its run-sheet after it ends.

Once a session is discharged (or cancelled after something was recorded) the forms go, but what was
given, what was seen and what went wrong stay readable: the doses with their lots, the sedation and
dissociation observations and the adverse events, with any correction (who, when, why). Corrections
close with the session, so no "Entered in error…" form is offered on an ended session.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from conftest import login
from ketacare.treatments import services
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session, staff_of

pytestmark = pytest.mark.django_db


def _text(page: str) -> str:
    return " ".join(html.unescape(strip_tags(page)).split())


def _sheet(client: Client, session: TreatmentSession) -> str:
    response = client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))
    assert response.status_code == 200
    return response.content.decode()


def test_a_discharged_session_shows_its_doses_observations_and_adverse_events(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing")
    user = staff_of(personas.a1)
    event = services.record_adverse_event(
        session=session,
        user=user,
        description="Vomited once in the chair",
        severity="mild",
        action_taken="Ondansetron",
    )
    wrong = services.record_adverse_event(
        session=session, user=user, description="Fall from the chair", severity="moderate"
    )
    services.mark_entered_in_error(
        session=session,
        user=user,
        kind="adverse_event",
        entry_id=str(wrong.public_id),
        reason="Other patient",
    )
    try:
        services.discharge_session(session=session, user=user, ride_present=True, instructions_given=True)
    except DischargeRefused:
        services.discharge_session(
            session=session,
            user=user,
            ride_present=True,
            instructions_given=True,
            override_reason="Observed long enough for this patient",
        )
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED
    page = _sheet(login(Client(), make_nurse(personas.clinic_a)), session)
    text = _text(page)
    assert 'data-testid="session-record"' in page
    assert "Session record" in text
    assert "Doses given" in text and "LOT-1" in text and "35" in text
    assert "Observations" in text
    assert "Vomited once in the chair — Ondansetron" in text
    assert "Fall from the chair" in text and "Entered in error" in text and "Other patient" in text
    assert event.description in text
    # Written in the past: what was confirmed at the door, not the live checklist's instruction.
    assert "Ride home confirmed; discharge instructions given." in text
    assert "Confirm the ride and the instructions at the door" not in text
    assert 'data-testid="unmet"' not in page and 'data-testid="clinically-ready"' not in page
    # The session has ended: nothing on it can be corrected or added from here.
    assert "Mark as entered in error" not in page
    assert "Record adverse event" not in text and "Record observation" not in text


def test_a_session_cancelled_before_anything_was_recorded_shows_no_empty_record(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="scheduled")
    services.cancel_session(session=session, user=staff_of(personas.a1), reason="Patient unwell with flu")
    page = _sheet(login(Client(), make_nurse(personas.clinic_a)), session)
    assert 'data-testid="session-record"' not in page
    assert "Cancelled: Patient unwell with flu" in _text(page)


def test_a_session_cancelled_after_check_in_keeps_what_was_recorded(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="checked_in")
    user = staff_of(personas.a1)
    services.record_adverse_event(
        session=session, user=user, description="Fainted at check-in", severity="moderate"
    )
    services.cancel_session(session=session, user=user, reason="Fainted before the dose")
    text = _text(_sheet(login(Client(), make_nurse(personas.clinic_a)), session))
    assert "Session record" in text
    assert "No dose was given." in text
    assert "Fainted at check-in" in text
