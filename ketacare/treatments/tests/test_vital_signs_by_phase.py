"""The vital-signs table names the phase each reading was taken in.

Readings taken after the infusion stopped were labelled "In session", as were those during it. Now each
reads "Before the dose", "During the infusion" (or "During dosing" between nasal devices) or "After the
dose, in observation".
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.treatments.models import TreatmentSession
from tests.support.treatments import make_session, run_sheet

pytestmark = pytest.mark.django_db


def _table(session: TreatmentSession, client: Client) -> str:
    """The vital-signs table's HTML: one cell per phase."""
    page = run_sheet(client, session).content.decode()
    return page[page.index('id="vt-h"') :]


def test_an_infusions_readings_are_named_by_phase(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    table = _table(session, login(Client(), personas.clinician_a))
    assert "<th>Phase</th>" in table and "In session" not in table
    for phase in ("Before the dose", "During the infusion", "After the dose, in observation"):
        assert f"<td>{phase}</td>" in table
    # The reading the builder takes a minute before now, long after the infusion stopped.
    after = table.index("<td>After the dose, in observation</td><td>126/80</td>")
    assert "09:59" in table[after - 80 : after]


def test_a_reading_between_nasal_devices_is_during_dosing(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="dosing")
    client = login(Client(), personas.clinician_a)
    taken = client.post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 130, "diastolic_mmhg": 82, "heart_rate_bpm": 76, "spo2_pct": 98},
    )
    assert taken.status_code == 302
    table = _table(session, client)
    assert "<td>Before the dose</td>" in table and "<td>During dosing</td><td>130/82</td>" in table
    assert "During the infusion" not in table and "In session" not in table
