"""Small builders shared by the companion tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.treatments.models import TreatmentSession


def make_dose(
    patient: Any, *, route: str = "iv", started_at: dt.datetime, minutes: int = 40
) -> TreatmentSession:
    """A discharged session whose dose started at ``started_at`` (what triage counts from).

    Written as a row, not through the services (docs/decisions/0023): callers name a dose start from
    days ago to this very minute, and the discharge it implies (``minutes`` + 60 min later) is then
    often after the test's now, which no service records. A test that needs the whole run-sheet
    builds the session with ``tests.support.treatments.make_session``.
    """
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine" if route == "iv" else "esketamine_trd",
        route=route,
        scheduled_at=started_at - dt.timedelta(minutes=15),
        state=TreatmentSession.State.DISCHARGED,
        dose_started_at=started_at,
        dose_ended_at=started_at + dt.timedelta(minutes=minutes),
        discharged_at=started_at + dt.timedelta(minutes=minutes + 60),
    )
