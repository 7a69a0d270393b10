"""Before the patient has left the clinic, the instructions page (kept on the phone for offline reading)
gives no end time for a limit that counts from leaving: "before 13:07 on Tuesday", 24 hours after the
infusion ended, would be too early. It says what the checklist and Learn say ("until 24 hours after
you leave the clinic"), and that the exact time comes with the discharge."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.treatments.models import TreatmentSession
from tests.support.treatments import words

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
DOSE_START = dt.datetime(2026, 12, 7, 12, 27, tzinfo=NEW_YORK)
DOSE_END = DOSE_START + dt.timedelta(minutes=40)  # 13:07
READ_AT = dt.datetime(2026, 12, 7, 13, 38, tzinfo=NEW_YORK)


@pytest.fixture
def in_the_chair(personas: Any) -> TreatmentSession:
    return TreatmentSession.objects.create(
        clinic=personas.a1.clinic,
        patient=personas.a1,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=DOSE_START - dt.timedelta(minutes=30),
        state=TreatmentSession.State.OBSERVING,
        checked_in_at=DOSE_START - dt.timedelta(minutes=20),
        dose_started_at=DOSE_START,
        dose_ended_at=DOSE_END,
    )


def _instructions(client_for: Any, at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False):
        return words(client_for("a1").get(reverse("companion:instructions")))


def test_before_discharge_the_limits_count_from_leaving_with_no_time_yet(
    in_the_chair: TreatmentSession, client_for: Any
) -> None:
    page = _instructions(client_for, READ_AT)
    assert "13:07 on Tuesday" not in page
    assert (
        "No driving and no machinery until 24 hours after you leave the clinic or 09:00 the next morning, "
        "whichever is later, and only after a night's sleep and when you feel fully normal; the exact "
        "time appears here when you are discharged." in page
    )
    assert (
        "No alcohol or cannabis until 24 hours after you leave the clinic or 09:00 the next morning, "
        "whichever is later; the exact time appears here when you are discharged." in page
    )
    assert "No important decisions (money, contracts, big messages) until 09:00 the morning after" in page
    assert "you have not left the clinic yet" in page
    assert "their end times appear here once you are discharged" in page


def test_after_discharge_the_limits_have_their_times_from_leaving(
    in_the_chair: TreatmentSession, client_for: Any
) -> None:
    left = dt.datetime(2026, 12, 7, 14, 30, tzinfo=NEW_YORK)
    in_the_chair.state, in_the_chair.discharged_at = TreatmentSession.State.DISCHARGED, left
    in_the_chair.save(update_fields=["state", "discharged_at"])
    page = _instructions(client_for, left + dt.timedelta(minutes=10))
    assert "No driving and no machinery before 14:30 on Tuesday 8 December" in page
    assert "the exact time appears here" not in page and "not left the clinic" not in page
