"""The hourly backup job words a "longer than expected" alert as the check-in does: the dose by its
day on the clinic's clock and the times in hours, never raw minutes (checkins.alert_words)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.checkins.alert_words import longer_than_expected_words
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.vigilance.scheduled import raise_side_effect_overdue_alerts
from tests.support.cohort import day
from tests.support.treatments import words

pytestmark = pytest.mark.django_db


def test_the_jobs_alert_names_the_dose_day_and_reads_as_the_checkins_alert(
    personas: Any, client_for: Any
) -> None:
    a1 = personas.a1
    checkin = SymptomCheckin.objects.create(
        clinic=a1.clinic, patient=a1, submitted_at=day(0), idempotency_key="k", triage_level="self_care"
    )
    # Headache after IV: usually gone by 24 hours, longer than expected after that (knowledge base).
    # Seen 26 h 30 min after the dose given on Monday 5 January, 07:00 in New York.
    report = SymptomReport.objects.create(
        clinic=a1.clinic, patient=a1, checkin=checkin, last_checkin=checkin, symptom_id="headache",
        kind="side_effect", name="Headache", severity="mild", level="self_care", route="iv",
        dose_started_at=day(0), expected_resolution_min=1440, started_at=day(0) + dt.timedelta(hours=1),
        last_seen_at=day(0) + dt.timedelta(minutes=1590),
    )  # fmt: skip
    [alert] = raise_side_effect_overdue_alerts(now=day(2))
    assert (alert.title, alert.detail) == longer_than_expected_words(
        report, minutes=1590, time_zone=a1.clinic.time_zone
    )
    page = client_for("clinician_a").get(f"/clinic/alerts/{alert.public_id}/")
    text = words(page)
    assert "Headache lasting longer than expected after the dose on Monday 5 January" in text
    assert (
        "Headache seen 26 h 30 min after the dose on Monday 5 January, 2 h 30 min past its usual time "
        "(usually gone by about 24 hours)."
    ) in text
    assert "1590" not in text and "still present longer than expected" not in text
    assert Alert.objects.count() == 1
