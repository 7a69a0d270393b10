"""The run-sheet shows what was given while the patient is observed, not only after discharge.

Once dosing ended, the dose card (with its form) closed and the record of the dose (amount, times, lot)
came back only on the discharged session's record: the nurse watching the patient could not see what
was given and when. In observation the run-sheet now shows the dose given, with its lot and times.

Clinic A (the personas) is in America/New_York.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.treatments.models import TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

# Friday 20 November 2026, 10:00 in New York.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def _record(client: Client, session: TreatmentSession) -> str:
    """The text of the run-sheet's dose record card (it must be there)."""
    response = client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="dose-record"' in body, "no dose record on the run-sheet"
    card = body.split('data-testid="dose-record">', 1)[1].split("</section>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())


def test_a_nurse_observing_an_infusion_sees_the_dose_its_lot_and_times(personas: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        # The infusion ran 08:50 to 09:30; the patient has been observed 30 min.
        session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
        assert session.state == TreatmentSession.State.OBSERVING
        text = _record(login(Client(), make_nurse(personas.clinic_a)), session)
    assert text.startswith("Dose given")
    assert "Doses given Drug mg Lot Start Stop ketamine (racemic) 35 LOT-1 08:50 09:30" in text
    assert "running" not in text


def test_observing_after_nasal_devices_lists_each_device(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        session = make_session(
            personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=30
        )
        text = _record(client_for("clinician_a"), session)
    assert text.startswith("Nasal devices given")
    assert "Device mg Lot Start Stop 1 28 LOT-1 09:25 09:25 2 28 LOT-1 09:30 09:30" in text


def test_ready_for_discharge_still_shows_the_dose(personas: Any, client_for: Any) -> None:
    """Observed long enough (past the IV minimum of 60 min), the sheet still says what was given."""
    with time_machine.travel(NOW, tick=False):
        session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
        text = _record(client_for("clinician_a"), session)
    assert "35 LOT-1" in text
