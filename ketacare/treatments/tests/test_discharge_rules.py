"""Discharge follows the core checklist; esketamine's 120-minute minimum is never overridden."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.treatments.models import RemsForm, TreatmentSession
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db
READY = {"ride_present": "on", "instructions_given": "on"}


def _discharge(client, session, data):
    return client.post(reverse("treatments:discharge", kwargs={"session_id": session.public_id}), data)


def test_esketamine_discharge_is_refused_before_120_minutes_even_with_a_prescriber_override(
    personas, client_for
):
    start = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        session = make_session(
            personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=1
        )
    client = client_for("clinician_a")
    with time_machine.travel(start + dt.timedelta(minutes=118), tick=False):
        response = _discharge(client, session, {**READY, "override_reason": "Patient wants to leave"})
        assert response.status_code == 422
        assert "Observed 119 min of the required 120 min (REMS: a hard rule)" in response.content.decode()
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.OBSERVING and session.discharged_at is None
    # The nurse takes the checks the run-sheet asks for: 40 minutes after dosing and before discharge.
    for minutes in (41, 120):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            _vitals(client, session)
    with time_machine.travel(start + dt.timedelta(minutes=121), tick=False):
        assert _discharge(client, session, READY).status_code == 302
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED


def _vitals(client, session):
    data = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72, "spo2_pct": 98}
    response = client.post(reverse("treatments:vitals", kwargs={"session_id": session.public_id}), data)
    assert response.status_code in (200, 302), response.content.decode()[:300]


def test_a_missed_check_keeps_the_patient_until_a_prescriber_gives_a_reason(personas, client_for):
    start = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        session = make_session(
            personas.a1,
            route="esketamine_in",
            state="observing",
            minutes_since_dose_end=1,
            checks_taken=False,
        )
    client = client_for("clinician_a")
    with time_machine.travel(start + dt.timedelta(minutes=120), tick=False):
        _vitals(client, session)  # the before-discharge set, but the 40-minute one never came
    with time_machine.travel(start + dt.timedelta(minutes=121), tick=False):
        refused = _discharge(client, session, READY)
        assert refused.status_code == 422
        page = refused.content.decode()
        assert "Vital signs not taken at:" in page and "40 min after dosing" in page
        session.refresh_from_db()
        assert session.state == TreatmentSession.State.OBSERVING
        allowed = _discharge(client, session, {**READY, "override_reason": "BP taken on the ward monitor"})
        assert allowed.status_code == 302
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.DISCHARGED
    assert "vital_checks_missed" in session.discharge_overridden_criteria


def test_discharge_lists_every_unmet_criterion(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=10)
    response = _discharge(client_for("clinician_a"), session, {})
    body = response.content.decode()
    assert response.status_code == 422
    for text in ("required 60 min", "No ride home confirmed", "Discharge instructions have not been given"):
        assert text in body


def test_a_prescriber_may_discharge_an_iv_patient_early_with_a_reason(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=45)
    response = _discharge(
        client_for("clinician_a"), session, {**READY, "override_reason": "Stable, observed 45 min"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.discharge_overridden_criteria == ["observation_time"]


def test_a_nurse_or_admin_cannot_override_an_unmet_criterion(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=45)
    response = _discharge(client_for("admin_a"), session, {**READY, "override_reason": "Stable"})
    assert response.status_code == 422
    session.refresh_from_db()
    assert session.discharged_at is None


def test_an_esketamine_discharge_opens_a_rems_form_due_in_seven_days(personas, client_for):
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=125)
    assert _discharge(client_for("clinician_a"), session, READY).status_code == 302
    form = RemsForm.objects.get(session=session)
    assert form.dose_mg == 56
    assert form.bp_pre_systolic_mmhg == 122
    assert form.due_at - session.dose_started_at == dt.timedelta(days=7)
    assert form.total_monitoring_min >= 125
    listing = client_for("clinician_a").get(reverse("treatments:rems_due"))
    assert personas.a1.full_name in listing.content.decode()


def test_discharge_of_another_clinics_patient_is_a_404(personas, client_for):
    session = make_session(personas.b1, route="iv", state="observing", minutes_since_dose_end=90)
    assert _discharge(client_for("clinician_a"), session, READY).status_code == 404
    session.refresh_from_db()
    assert session.discharged_at is None and timezone.now()
