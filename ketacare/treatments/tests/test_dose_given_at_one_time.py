"""A dose given at one time (an oral or sublingual dose, an IM injection) has no infusion to stop.

The run-sheet's dose form asks for no stop time on these routes, and the dose it records ends when it is
given: the session goes straight to observation, counted from that moment. An IV infusion still runs
until it is stopped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import services
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from tests.support.pathway import ready_for_plan
from tests.support.treatments import (
    FRIDAY_MORNING,
    WEIGHT_KG,
    run_sheet,
    skip_pre_dose_questionnaires,
    words,
)

pytestmark = pytest.mark.django_db

# Each route's protocol and a dose inside its bounds for 70 kg: oral 1 mg/kg [KheirAbadi2023],
# sublingual 10 mg [Lara2013], IM 0.5 mg/kg [Chilukuri2014], IV 0.5 mg/kg over 40 min.
PLANNED = {
    "oral": ("oral_ketamine", {"weight_kg": WEIGHT_KG, "mg_per_kg": 1.0}, 70),
    "sublingual": ("sublingual_ketamine", {}, 10),
    "im": ("im_ketamine", {"weight_kg": WEIGHT_KG}, 35),
    "iv": ("iv_ketamine", {"weight_kg": WEIGHT_KG}, 35),
}


def _checked_in_session(patient: Any, route: str) -> TreatmentSession:
    protocol_id, dose_inputs, _ = PLANNED[route]
    ready_for_plan(patient, routes=[route])
    prescriber = patient.primary_clinician
    plan = services.create_treatment_plan(
        patient=patient,
        user=prescriber,
        protocol_id=protocol_id,
        preset_id="custom",
        first_session_at=FRIDAY_MORNING,
        weekdays=[FRIDAY_MORNING.weekday()],
        session_count=1,
        book_outside_hours=True,
        **dose_inputs,
    )
    session = plan.sessions.get()
    services.check_in_session(
        session=session,
        user=prescriber,
        weight_kg=WEIGHT_KG,
        fasting_confirmed=True,
        ride_home_confirmed=True,
    )
    skip_pre_dose_questionnaires(session, prescriber)
    services.record_vital_signs(
        session=session, user=prescriber, systolic_mmhg=122, diastolic_mmhg=78, heart_rate_bpm=72, spo2_pct=98
    )
    return TreatmentSession.objects.get(pk=session.pk)


def _dose_card(response: Any) -> str:
    page = response.content.decode()
    return page[page.index('id="dose-h"') : page.index('id="vitals-h"')]


@pytest.mark.parametrize("route", ["oral", "sublingual", "im"])
def test_a_dose_given_at_one_time_goes_straight_to_observation(
    personas: Any, clock: Any, client_for: Any, route: str
) -> None:
    session = _checked_in_session(personas.a1, route)
    client = client_for("clinician_a")
    card = _dose_card(run_sheet(client, session))
    assert 'name="dose_mg"' in card and 'name="ended_at"' not in card
    clock.shift(dt.timedelta(minutes=5))
    given_at = FRIDAY_MORNING + dt.timedelta(minutes=5)
    dosed = client.post(
        reverse("treatments:dose", kwargs={"session_id": session.public_id}),
        {"dose_mg": str(PLANNED[route][2]), "lot_number": "LOT-1"},
    )
    assert dosed.status_code == 302, words(dosed)
    session.refresh_from_db()
    assert session.state == "observing"
    assert session.dose_started_at == session.dose_ended_at == given_at
    assert DoseAdministration.objects.get(session=session).ended_at == given_at
    clock.shift(dt.timedelta(minutes=10))
    sheet = words(run_sheet(client, session))
    # Observation counts from the moment the dose was given (60 min: each route's default, clinic practice).
    assert "Stop infusion" not in sheet and "10 min of 60 min" in sheet


def test_an_iv_infusion_still_runs_until_it_is_stopped(personas: Any, clock: Any, client_for: Any) -> None:
    session = _checked_in_session(personas.a1, "iv")
    client = client_for("clinician_a")
    assert 'name="ended_at"' in _dose_card(run_sheet(client, session))
    dosed = client.post(
        reverse("treatments:dose", kwargs={"session_id": session.public_id}),
        {"dose_mg": "35", "lot_number": "LOT-1"},
    )
    assert dosed.status_code == 302, words(dosed)
    session.refresh_from_db()
    assert session.state == "dosing" and session.dose_ended_at is None
    assert "Stop infusion" in words(run_sheet(client, session))
