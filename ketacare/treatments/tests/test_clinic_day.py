"""The clinic day view lists today's sessions with their state and overdue checkpoints."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _midday_at_clinic_a() -> Iterator[None]:
    """The board lists the clinic's day: sessions the builder starts hours before "now" must fall on it,
    which they do not just after the clinic's midnight. The midnight case has its own test below."""
    with time_machine.travel(dt.datetime(2026, 12, 7, 13, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))):
        yield


def test_it_shows_todays_sessions_states_and_an_overdue_checkpoint(personas, client_for):
    dosing = make_session(personas.a1, route="iv", state="dosing", minutes_since_dose_end=-10)
    # The 40-minute check of this one was missed: the board shows it overdue.
    make_session(
        personas.a2, route="esketamine_in", state="observing", minutes_since_dose_end=125, checks_taken=False
    )
    make_session(personas.b1, route="iv", state="dosing")
    response = client_for("clinician_a").get(reverse("treatments:day"))
    body = response.content.decode()
    assert response.status_code == 200
    assert personas.a1.full_name in body and personas.a2.full_name in body
    assert personas.b1.full_name not in body  # another clinic
    # A missed check keeps the patient "Observing": not ready to leave while the board shows it overdue.
    assert "Dosing" in body and "Observing" in body and "Ready for discharge" not in body
    assert 'hx-trigger="every 30s"' in body
    assert "has-overdue" in body, "the 40-minute check of the esketamine session was missed"
    assert dosing.state == "dosing"


def test_a_session_whose_checks_were_all_taken_shows_ready_for_discharge(personas, client_for):
    make_session(personas.a2, route="esketamine_in", state="observing", minutes_since_dose_end=125)
    body = client_for("clinician_a").get(reverse("treatments:day")).content.decode()
    assert "Ready for discharge" in body and "has-overdue" not in body


def test_the_htmx_refresh_returns_only_the_table(personas, client_for):
    make_session(personas.a1, route="iv", state="observing")
    response = client_for("clinician_a").get(reverse("treatments:day"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="day-table"' in body and "<html" not in body


def test_a_checked_in_session_is_due_on_the_clinics_day_just_after_its_midnight(personas, client_for):
    # 00:08 in Berlin (clinic B): the builder's check-in an hour and a half earlier would be yesterday.
    just_after = dt.datetime(2026, 12, 7, 0, 8, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    with time_machine.travel(just_after, tick=False):
        session = make_session(personas.b1, state="checked_in")
        response = client_for("clinician_b").post(
            f"/api/v1/sessions/{session.public_id}/doses",
            data=json.dumps({"dose_mg": 35, "lot_number": "LOT-7"}),
            content_type="application/json",
        )
    assert response.status_code == 201, response.content


def test_a_critical_reading_in_the_chair_shows_on_the_board_until_resolved(personas, client_for):
    from ketacare.alerts.models import Alert

    session = make_session(personas.a1, route="iv", state="observing")
    make_session(personas.a2, route="iv", state="observing")
    client = client_for("clinician_a")
    client.post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 120, "diastolic_mmhg": 80, "heart_rate_bpm": 90, "spo2_pct": 86},
    )
    alert = Alert.objects.get(patient=personas.a1, source="vital_sign")
    # A contact-today alert for the other patient is not what the board is for.
    Alert.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a2,
        source="missed_checkin",
        severity="contact_clinic",
        title="Late",
    )

    def cells() -> dict[str, str]:
        body = client.get(reverse("treatments:day")).content.decode()
        rows = body.split("<tr class=")[1:]
        return {
            name: next(r for r in rows if name in r)
            .split('<td data-testid="day-alerts">')[1]
            .split("</td>")[0]
            for name in (personas.a1.full_name, personas.a2.full_name)
        }

    by_patient = cells()
    assert "Emergency" in by_patient[personas.a1.full_name]
    assert "Critical vital sign during a session" in by_patient[personas.a1.full_name]
    assert reverse("alerts:detail", args=[alert.public_id]) in by_patient[personas.a1.full_name]
    assert by_patient[personas.a2.full_name] == "—"
    # Whether anyone has seen it, in words: a nurse reading the board knows if it is still open.
    assert "open: nobody has acknowledged it" in by_patient[personas.a1.full_name]
    Alert.objects.filter(pk=alert.pk).update(state="acknowledged", acknowledged_by=personas.clinician_a)
    assert f"acknowledged by {personas.clinician_a.full_name}" in cells()[personas.a1.full_name]
    Alert.objects.filter(pk=alert.pk).update(state="resolved")
    assert all(c == "—" for c in cells().values())


def test_a_row_lists_emergencies_before_urgent_alerts(personas, client_for):
    from ketacare.alerts.models import Alert

    make_session(personas.a1, route="iv", state="observing")
    for severity, title in (("urgent", "Raised first, urgent"), ("emergency", "Raised second, emergency")):
        Alert.objects.create(
            clinic=personas.clinic_a,
            patient=personas.a1,
            source="red_flag_checkin",
            severity=severity,
            title=title,
        )
    body = client_for("clinician_a").get(reverse("treatments:day")).content.decode()
    cell = body.split('<td data-testid="day-alerts">')[1].split("</td>")[0]
    assert cell.index("Raised second, emergency") < cell.index("Raised first, urgent")
