"""On the day of a new treatment the patient's instructions are today's, not last session's sheet whose
limits have ended ("Driving and machinery: this limit ended …" read by a patient dosed an hour ago)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY_DOSE = dt.datetime(2026, 12, 4, 10, 0, tzinfo=NEW_YORK)
MONDAY_DOSE = dt.datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK)
READ_AT = dt.datetime(2026, 12, 7, 10, 30, tzinfo=NEW_YORK)


def _session(patient: Any, dose_at: dt.datetime, *, discharged: bool) -> TreatmentSession:
    """A dose given at ``dose_at`` (a row, as `make_dose` writes one), discharged an hour later or not."""
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=dose_at - dt.timedelta(minutes=15),
        state=TreatmentSession.State.DISCHARGED if discharged else TreatmentSession.State.OBSERVING,
        dose_started_at=dose_at,
        dose_ended_at=dose_at + dt.timedelta(minutes=40),
        discharged_at=dose_at + dt.timedelta(minutes=100) if discharged else None,
    )


def test_a_patient_in_the_chair_reads_todays_rules_not_fridays_ended_ones(
    personas: Any, client_for: Any
) -> None:
    _session(personas.a1, FRIDAY_DOSE, discharged=True)
    _session(personas.a1, MONDAY_DOSE, discharged=False)
    with time_machine.travel(READ_AT, tick=False):
        page = html.unescape(client_for("a1").get(reverse("companion:instructions")).content.decode())
    assert 'data-testid="not-left-yet"' in page and "you have not left the clinic yet" in page
    assert "this limit ended" not in page
    assert "Friday 4 December" not in page and "Monday 7 December" in page


def test_after_leaving_the_sheet_is_the_last_sessions_without_the_notice(
    personas: Any, client_for: Any
) -> None:
    _session(personas.a1, FRIDAY_DOSE, discharged=True)
    with time_machine.travel(FRIDAY_DOSE + dt.timedelta(hours=3), tick=False):
        page = html.unescape(client_for("a1").get(reverse("companion:instructions")).content.decode())
    assert "not-left-yet" not in page and "Friday 4 December" in page
