"""The day-of-treatment companion's page follows the patient's day: while a later session is under way
it says the patient is in the clinic now, never the limits of an earlier session that the later dose
supersedes; once they have left, it is the latest session's sheet. The sheet is written to the
companion about the patient ("Alice went home at 11:00"), not to the patient ("you went home")."""

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
# Monday 7 December 2026 in New York (patient A1's zone).
MONDAY = dt.datetime(2026, 12, 7, tzinfo=NEW_YORK)
READ_AT = MONDAY.replace(hour=13, minute=38)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return MONDAY.replace(hour=hour, minute=minute)


def _session(patient: Any, *, checked_in: dt.datetime, discharged: dt.datetime | None) -> TreatmentSession:
    """An IV session (a row): checked in, dosed 15 to 55 minutes later, discharged or still observed."""
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=checked_in,
        state=TreatmentSession.State.DISCHARGED if discharged else TreatmentSession.State.OBSERVING,
        checked_in_at=checked_in,
        dose_started_at=checked_in + dt.timedelta(minutes=15),
        dose_ended_at=checked_in + dt.timedelta(minutes=55),
        discharged_at=discharged,
    )


def _companion_page(client_for: Any) -> str:
    return words(client_for("companion_a1").get(reverse("support:page")))


def test_while_a_later_session_is_under_way_the_companion_reads_that_the_patient_is_in_the_clinic(
    personas: Any, client_for: Any
) -> None:
    _session(personas.a1, checked_in=_at(9), discharged=_at(11))
    later = _session(personas.a1, checked_in=_at(12, 12), discharged=None)
    with time_machine.travel(READ_AT, tick=False):
        page = _companion_page(client_for)
    assert "Alice is in the clinic now (13:38 on Monday 7 December)." in page
    assert "The clinic will tell you when to collect them." in page
    # Nothing of the morning's session: its limits count from a dose the afternoon's supersedes.
    assert "went home" not in page and "11:00" not in page and "Safety rules" not in page
    assert "The discharge instructions appear here when Alice leaves the clinic." in page
    # The red flags read as instructions with their numbers, never as the data behind them.
    assert "Call 911 now." in page and "{'text'" not in page

    later.state, later.discharged_at = TreatmentSession.State.DISCHARGED, _at(14, 30)
    later.save(update_fields=["state", "discharged_at"])
    with time_machine.travel(_at(15), tick=False):
        page = _companion_page(client_for)
    assert "Alice went home at 14:30." in page
    assert "No driving and no machinery before 14:30 on Tuesday 8 December" in page
    assert "11:00 on Tuesday" not in page and "in the clinic now" not in page


def test_the_sheet_speaks_to_the_companion_about_the_patient(personas: Any, client_for: Any) -> None:
    _session(personas.a1, checked_in=_at(9), discharged=_at(11))
    with time_machine.travel(READ_AT, tick=False):
        page = _companion_page(client_for)
    assert "Alice's treatment on Monday 7 December" in page
    assert "Alice's IV ketamine infusion at Clinic A was on Monday 7 December." in page
    assert "Alice went home at 11:00." in page
    assert "Alice may feel sleepy, dizzy or a little unreal for a while" in page
    assert (
        "No driving and no machinery before 11:00 on Tuesday 8 December, and only after a night's sleep "
        "and when they feel fully normal. Someone else takes them home." in page
    )
    assert "Updated 13:38 on Monday 7 December." in page
    for to_the_patient in (
        "your IV",
        "you went home",
        "the day of your treatment",
        "Alice CanaryA1, your",
        "You may feel",
        "when you feel",
        "takes you home",
    ):
        assert to_the_patient not in page, to_the_patient
