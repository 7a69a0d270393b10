"""While an infusion runs the run-sheet offers only to stop it, and says calmly what stopping delivers.

On a new clinic's tablet an error-styled box said "Stopping at 13:59: 0 of 40 min, 0.01 mg of 35 mg
delivered … a reason is required" as soon as the infusion started, before anyone tried to stop, and the
"Record dose" form stayed open with the amount filled. Now the line is a calm preview until an early stop
is sent without its reason, and the dose form gives way to "An infusion is running: stop it first".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.treatments.models import TreatmentSession
from tests.support.treatments import make_session, run_sheet, words

pytestmark = pytest.mark.django_db


def _url(name: str, session: TreatmentSession) -> str:
    return reverse(f"treatments:{name}", kwargs={"session_id": session.public_id})


def _infusing(personas: Any, client: Client) -> TreatmentSession:
    """35 mg over the protocol's 40 minutes, started at 10:00."""
    session = make_session(personas.a1, state="checked_in")
    started = client.post(
        _url("dose", session), {"dose_mg": "35", "lot_number": "L1", "started_at": "2026-11-20T10:00"}
    )
    assert started.status_code == 302
    return session


def _preview_class(body: str) -> str:
    found = re.search(r'<p id="stop-preview" class="([^"]*)"', body)
    assert found, "no stop preview"
    return found.group(1)


def test_the_stop_preview_is_calm_until_an_early_stop_is_sent_without_a_reason(
    personas: Any, clock: Any
) -> None:
    client = login(Client(), personas.clinician_a)
    session = _infusing(personas, client)
    clock.shift(dt.timedelta(minutes=1))
    body = run_sheet(client, session).content.decode()
    assert _preview_class(body) == "notice"
    assert "Stopping before 80% of the time needs a reason (under “Reason”)." in words(
        run_sheet(client, session)
    )
    refused = client.post(
        _url("end_dosing", session), {"ended_at": "2026-11-20T10:01"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 200
    text = refused.content.decode()
    assert _preview_class(text) == "hold"
    assert "Before 80% of the time: a reason is required. Write it under “Reason” and stop again." in words(
        refused
    )
    # Nothing was stopped; the page opened again is calm.
    assert _preview_class(run_sheet(client, session).content.decode()) == "notice"


def test_the_dose_form_gives_way_while_the_infusion_runs(personas: Any, clock: Any) -> None:
    client = login(Client(), personas.clinician_a)
    session = _infusing(personas, client)
    clock.shift(dt.timedelta(minutes=5))
    body = run_sheet(client, session).content.decode()
    assert 'name="dose_mg"' not in body and "Record dose</button>" not in body
    assert "An infusion is running: stop it first (“Stop infusion” below)." in words(
        run_sheet(client, session)
    )
    assert "Stop infusion</button>" in body


def test_a_second_nasal_device_is_still_offered_while_dosing(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="dosing")
    body = run_sheet(login(Client(), personas.clinician_a), session).content.decode()
    assert 'name="dose_mg"' in body and "Record device</button>" in body
    assert "An infusion is running" not in body
