"""After a severe adverse event the patient leaves when a prescriber has judged them stable.

Observation lasts until a clinician judges the patient clinically stable, not only the minimum time
[REMS-FDA] [HCP-Dose]. A severe event recorded in the session is an unmet discharge criterion until a
prescriber resolves its alert with the assessment, or discharges with a written override reason; a
nurse resolving the alert does not clear it. Mild and moderate events, and one marked entered in
error, do not hold the discharge.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.services import resolve_alert
from ketacare.treatments import selectors, services
from ketacare.treatments.models import TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session, staff_of

pytestmark = pytest.mark.django_db

DOOR = {"ride_present": "on", "instructions_given": "on"}


def _observing_after(personas: Any, severity: str) -> tuple[TreatmentSession, Any]:
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=125)
    event = services.record_adverse_event(
        session=session,
        user=staff_of(personas.a1),
        description="Vomited twice, pale and clammy",
        severity=severity,
        action_taken="Ondansetron given",
    )
    return session, event


def _text(response: Any) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def _discharge(client: Client, session: TreatmentSession, **extra: str) -> Any:
    return client.post(
        reverse("treatments:discharge", kwargs={"session_id": session.public_id}), {**DOOR, **extra}
    )


def test_a_severe_event_refuses_the_nurses_discharge_and_says_why(personas: Any) -> None:
    session, _ = _observing_after(personas, "severe")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    response = _discharge(nurse, session)
    assert response.status_code in (200, 422)
    text = _text(response)
    assert "Severe adverse event at" in text and "Vomited twice, pale and clammy" in text
    assert "a prescriber judges the patient clinically stable before they leave" in text
    session.refresh_from_db()
    assert session.state != TreatmentSession.State.DISCHARGED


def test_a_nurse_resolving_the_alert_does_not_clear_it_a_prescriber_resolving_it_does(personas: Any) -> None:
    session, event = _observing_after(personas, "severe")
    nurse_user = make_nurse(personas.clinic_a)
    alert = Alert.objects.get(dedupe_key=f"adverse_event:{event.public_id}")
    resolve_alert(alert=alert, user=nurse_user, note="Settled after antiemetic, obs normal")
    nurse = login(Client(), nurse_user)
    assert "Severe adverse event at" in _text(_discharge(nurse, session))
    session.refresh_from_db()
    assert session.state != TreatmentSession.State.DISCHARGED

    # The prescriber's own review: the alert reopened for it, then resolved by them.
    Alert.objects.filter(dedupe_key=f"adverse_event:{event.public_id}").update(
        state=Alert.State.OPEN, resolved_at=None, resolved_by=None
    )
    resolve_alert(
        alert=Alert.objects.get(dedupe_key=f"adverse_event:{event.public_id}"),
        user=staff_of(personas.a1),
        note="Reviewed at the chair: stable, tolerating fluids",
    )
    response = _discharge(nurse, session)
    assert "Severe adverse event" not in _text(response)
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED


def test_a_prescriber_may_discharge_past_it_with_a_reason_recorded(personas: Any) -> None:
    session, _ = _observing_after(personas, "severe")
    prescriber = login(Client(), staff_of(personas.a1))
    response = _discharge(prescriber, session, override_reason="Seen at the chair: stable, escorted home")
    assert response.status_code in (200, 302)
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED
    assert "severe_adverse_event" in session.discharge_overridden_criteria
    override = Alert.objects.get(source="discharge_override", patient=personas.a1)
    assert "severe adverse event not reviewed by a prescriber" in override.title


@pytest.mark.parametrize("severity", ["mild", "moderate"])
def test_milder_events_do_not_hold_the_discharge(personas: Any, severity: str) -> None:
    session, _ = _observing_after(personas, severity)
    check = selectors.readiness(session, timezone.now())
    assert check is not None
    assert "severe_adverse_event" not in {c.code for c in check.unmet}
    nurse = login(Client(), make_nurse(personas.clinic_a))
    _discharge(nurse, session)
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED


def test_an_event_entered_in_error_does_not_hold_the_discharge(personas: Any) -> None:
    session, event = _observing_after(personas, "severe")
    services.mark_entered_in_error(
        session=session,
        user=staff_of(personas.a1),
        kind="adverse_event",
        entry_id=str(event.public_id),
        reason="Recorded on the wrong patient's session",
    )
    nurse = login(Client(), make_nurse(personas.clinic_a))
    _discharge(nurse, session)
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED
