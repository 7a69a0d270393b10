"""The run-sheet shows the timeline, checkpoints, clock and checklist; its live panel refreshes alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_the_run_sheet_draws_an_accessible_timeline_and_the_observation_clock(personas, client_for):
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    response = client_for("clinician_a").get(
        reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="timeline"' in body and 'role="img"' in body
    assert "of 120 min" in body and "(hard minimum)" in body
    assert "Observed 30 min of the required 120 min" in body
    assert "40 min after dosing" in body  # the core's esketamine checkpoint


def test_the_live_panel_is_a_partial_that_refreshes_every_30_seconds(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing")
    url = reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}) + "?panel=live"
    body = client_for("clinician_a").get(url, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="live"') and 'hx-trigger="every 30s"' in body
    assert "<html" not in body


def test_a_critical_reading_shows_on_screen_and_raises_a_clinic_alert(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing")
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 195, "diastolic_mmhg": 118, "heart_rate_bpm": 90, "spo2_pct": 97},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "CRITICAL" in response.content.decode()
    alert = Alert.objects.get(patient=personas.a1, source="vital_sign")
    assert alert.severity == "emergency"
    assert "Systolic" in alert.detail or "systolic" in alert.detail


def test_a_critical_reading_sorts_above_older_urgent_paperwork_in_the_inbox(personas, client_for):
    from ketacare.alerts.services import raise_alert

    raise_alert(
        patient=personas.a2,
        source=Alert.Source.REMS_DEADLINE,
        severity=Alert.Severity.URGENT,
        title="REMS patient monitoring form past its deadline",
        detail="Submit the form.",
        dedupe_key="rems:older",
    )
    session = make_session(personas.a1, route="iv", state="observing")
    client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 120, "diastolic_mmhg": 80, "heart_rate_bpm": 90, "spo2_pct": 86},
        HTTP_HX_REQUEST="true",
    )
    body = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    assert body.index("Critical vital sign during a session") < body.index("REMS patient monitoring form")


def test_a_red_flag_the_patient_reports_from_the_chair_shows_on_the_run_sheet(personas, client_for):
    from django.db import transaction

    from ketacare.alerts.services import raise_alert

    session = make_session(personas.a1, route="iv", state="observing")
    with transaction.atomic():
        raise_alert(
            patient=personas.a1,
            source=Alert.Source.RED_FLAG_CHECKIN,
            severity=Alert.Severity.EMERGENCY,
            title="Chest pain",
            dedupe_key="chair-red-flag",
        )
    body = (
        client_for("clinician_a")
        .get(reverse("treatments:run_sheet", args=[session.public_id]))
        .content.decode()
    )
    assert 'data-testid="open-alerts"' in body and "Chest pain" in body
    other = make_session(personas.a2, route="iv", state="observing")
    body = (
        client_for("clinician_a")
        .get(reverse("treatments:run_sheet", args=[other.public_id]))
        .content.decode()
    )
    assert 'data-testid="open-alerts"' not in body  # another patient's alert stays on their sheet
