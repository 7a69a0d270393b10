"""Stopping an infusion early: the line on the run-sheet and the refusal give one figure.

The "Stopping now" line counted the minutes from the server's clock and rounded them down, while the
service counted them from the time typed in "Dosing ended at": "0 of 40 min, about 0.91 mg" sat above
"Stopped after 0 of 40 planned min; 0.01 mg". Both now come from one function and the same stop time
(the field's own default, what the nurse typed, or a time typed since), so minutes and mg agree with
what is recorded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.treatments.models import DoseAdministration, TreatmentSession
from tests.support.treatments import make_session, words

pytestmark = pytest.mark.django_db


def _url(name: str, session: TreatmentSession) -> str:
    return reverse(f"treatments:{name}", kwargs={"session_id": session.public_id})


def _infusing(personas: Any, client: Client) -> TreatmentSession:
    """35 mg over the protocol's 40 minutes, started at 10:00 by the prescriber who planned it."""
    session = make_session(personas.a1, state="checked_in")
    started = client.post(
        _url("dose", session), {"dose_mg": "35", "lot_number": "L1", "started_at": "2026-11-20T10:00"}
    )
    assert started.status_code == 302
    return session


def _line(text: str) -> str:
    start = text.index("Stopping at")
    return text[start : text.index(".", text.index("delivered", start))]


def test_the_line_counts_from_the_time_in_dosing_ended_at(personas: Any, clock: Any, client_for: Any) -> None:
    client = client_for("clinician_a")
    session = _infusing(personas, client)
    clock.shift(dt.timedelta(minutes=12, seconds=40))  # 10:12:40; the field opens at 10:12
    page = words(client.get(_url("run_sheet", session)))
    assert 'value="2026-11-20T10:12"' in client.get(_url("run_sheet", session)).content.decode()
    # 12 of 40 minutes of 35 mg: 10.5 mg, not the 12.67 minutes (11.08 mg) of the server's clock.
    assert _line(page) == (
        "Stopping at 10:12: 12 of 40 min, 10.5 mg of 35 mg delivered (rate × time; recorded as delivered)"
    )
    # Said calmly before anyone stops: no reason is missing until a stop is sent without one.
    assert "Stopping before 80% of the time needs a reason (under “Reason”)." in page


def test_the_refusal_and_the_line_beside_it_agree_and_the_record_follows(
    personas: Any, clock: Any, client_for: Any
) -> None:
    client = client_for("clinician_a")
    session = _infusing(personas, client)
    clock.shift(dt.timedelta(minutes=12, seconds=40))
    refused = client.post(_url("end_dosing", session), {"ended_at": "2026-11-20T10:12"})
    assert refused.status_code == 422
    text = words(refused)
    assert "Stopped after 12 of 40 planned min: 10.5 mg of 35 mg delivered (rate × time)" in text
    assert "Give a reason to stop the infusion early" in text
    assert _line(text).startswith("Stopping at 10:12: 12 of 40 min, 10.5 mg of 35 mg delivered")
    stopped = client.post(_url("end_dosing", session), {"ended_at": "2026-11-20T10:12", "reason": "Nausea"})
    assert stopped.status_code == 302
    dose = DoseAdministration.objects.get(session=session)
    assert dose.dose_mg == Decimal("10.50") and dose.planned_dose_mg == Decimal("35.00")
    session.refresh_from_db()
    assert session.dosing_reasons[0]["message"].startswith(
        "Stopped after 12 of 40 planned min: 10.5 mg of 35 mg delivered"
    )


def test_a_time_typed_in_dosing_ended_at_refreshes_the_line(
    personas: Any, clock: Any, client_for: Any
) -> None:
    client = client_for("clinician_a")
    session = _infusing(personas, client)
    clock.shift(dt.timedelta(minutes=12, seconds=40))
    page = client.get(_url("run_sheet", session)).content.decode()
    # The field asks for the line again when it changes.
    assert (
        'hx-get="' + _url("run_sheet", session) + '?panel=stop"' in page
        and 'hx-target="#stop-preview"' in page
    )
    fragment = client.get(
        _url("run_sheet", session), {"panel": "stop", "ended_at": "2026-11-20T10:08"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<p id="stop-preview"') and "<html" not in body
    assert _line(words(fragment)).startswith("Stopping at 10:08: 8 of 40 min, 7 mg of 35 mg delivered")


def test_a_stop_under_a_minute_shows_the_part_minute_it_ran(
    personas: Any, clock: Any, client_for: Any
) -> None:
    # Started with seconds (the start field left empty: now), stopped at the next whole minute.
    client = client_for("clinician_a")
    session = make_session(personas.a1, state="checked_in")
    clock.shift(dt.timedelta(seconds=30))  # 10:00:30
    assert client.post(_url("dose", session), {"dose_mg": "35", "lot_number": "L1"}).status_code == 302
    page = words(client.get(_url("run_sheet", session)))
    # The field cannot open before the start: 10:01, half a minute of the infusion.
    assert _line(page).startswith("Stopping at 10:01: 0.5 of 40 min, 0.44 mg of 35 mg delivered")
    refused = client.post(_url("end_dosing", session), {"ended_at": "2026-11-20T10:01"})
    assert "Stopped after 0.5 of 40 planned min: 0.44 mg of 35 mg delivered" in words(refused)
