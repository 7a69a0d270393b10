"""The patient's "Booked until about" covers the whole visit: arrival and the checks before the dose, the
dose itself, and the route's minimum observation after it.

An IV session booked at 09:00 said "until about 10:40" (the 40-minute infusion and 60 minutes of
observation) while visits ended about two hours after the booking, and an esketamine session at 10:00
said "until about 12:00" although its dose starts about 10:15 and needs at least 2 hours' observation
after the last device (REMS): a ride home arranged for the time on the page came too early.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from ketacare.core import monitoring
from ketacare.core.protocols import get_protocol
from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.services import create_treatment_plan
from tests.support.pathway import ready_for_plan
from tests.support.treatments import words

pytestmark = pytest.mark.django_db


def _plan(patient: Any, protocol_id: str, hour: int) -> None:
    """A plan whose first session is next Monday at ``hour`` on the clinic's clock."""
    ready_for_plan(patient, routes=[get_protocol(protocol_id).route])
    zone = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    monday = dt.date(2026, 11, 23)  # the clock fixture stands on Friday 20 November
    create_treatment_plan(
        patient=patient,
        user=patient.primary_clinician,
        protocol_id=protocol_id,
        preset_id=None,
        first_session_at=dt.datetime.combine(monday, dt.time(hour), tzinfo=zone),
        weight_kg=70.0 if protocol_id == "iv_ketamine" else None,
    )


def _first_booking(client: Any) -> str:
    page = words(client.get(reverse("treatments:my_appointments")))
    start = page.index("Monday 23 November")
    return page[start : page.index("longer.", start) + len("longer.")]


def test_an_iv_infusion_at_nine_is_booked_until_about_five_to_eleven(
    personas: Any, clock: Any, client_for: Any
) -> None:
    _plan(personas.a1, "iv_ketamine", 9)
    booking = _first_booking(client_for("a1"))
    # 15 min of check-in and pre-dose checks, the 40-minute infusion, 60 min of observation.
    assert "Monday 23 November, 09:00" in booking
    assert "Booked until about 10:55: ask whoever collects you to come then" in booking


def test_esketamine_at_ten_is_booked_until_the_two_hours_after_the_last_device(
    personas: Any, clock: Any, client_for: Any
) -> None:
    _plan(personas.a1, "esketamine_trd", 10)
    booking = _first_booking(client_for("a1"))
    # The dose starts about 10:15; three devices 5 minutes apart end by 10:25; REMS observation is at
    # least 2 hours after that.
    assert "Monday 23 November, 10:00" in booking
    assert "Booked until about 12:25: ask whoever collects you to come then" in booking


def test_the_length_is_the_sum_of_its_sourced_parts(personas: Any, clock: Any) -> None:
    for protocol_id, route, dosing in (("iv_ketamine", "iv", 40), ("esketamine_trd", "esketamine_in", 10)):
        protocol = get_protocol(protocol_id)
        assert selectors.administration_minutes(protocol) == dosing
        assert selectors.appointment_minutes(personas.clinic_a, protocol) == (
            selectors.ARRIVAL_TO_DOSE_MIN + dosing + monitoring.observation_minutes(route)
        )
    _plan(personas.a1, "iv_ketamine", 9)
    session = TreatmentSession.objects.filter(patient=personas.a1).select_related("appointment").first()
    assert session is not None and session.appointment is not None
    assert session.appointment.duration_min == 115
