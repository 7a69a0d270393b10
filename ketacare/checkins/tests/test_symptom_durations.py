"""A later check-in closes an open symptom, so its real duration is recorded against the expected window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def test_a_symptom_not_reported_again_is_closed_by_the_next_checkin(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=6)
    make_dose(personas.a1, started_at=dosed)
    first = dosed + dt.timedelta(hours=1)
    submit_checkin(
        patient=personas.a1,
        idempotency_key="1",
        reports=[ReportIn("nausea"), ReportIn("headache")],
        mood=5,
        note="",
        now=first,
    )
    second = dosed + dt.timedelta(hours=3)
    submit_checkin(
        patient=personas.a1,
        idempotency_key="2",
        reports=[ReportIn("headache", "moderate")],
        mood=6,
        note="",
        now=second,
    )
    nausea = SymptomReport.objects.get(symptom_id="nausea")
    headache = SymptomReport.objects.get(symptom_id="headache")
    assert nausea.resolved_at == second
    assert nausea.recorded_minutes_after_dose == pytest.approx(180)
    assert nausea.expected_resolution_min == 240
    assert headache.resolved_at is None and headache.severity == "moderate"
    assert SymptomReport.objects.count() == 2  # the headache continued: no second row
