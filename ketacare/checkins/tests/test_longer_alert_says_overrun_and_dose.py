"""A side effect's "lasting longer than expected" alert, as the prescriber reads it: how far past its
usual time it was seen, to the minute (never "seen 24 hours" beside "usually gone by about 24 hours"),
and which dose it follows, by the dose's day on the clinic's clock, so two alerts for two doses are told
apart in the inbox. The key stays one per episode."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomReport
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db

# 02:00 UTC on Tuesday is 21:00 on Monday 30 November on clinic A's clock (America/New_York).
MONDAY_DOSE = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
THURSDAY_DOSE = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)  # Thursday 3 December, 21:00 clinic time
DAY = dt.timedelta(hours=24)  # a headache after IV: usually gone by 24 h, longer than expected after


def _check_in_with_headache(client: Any) -> None:
    response = client.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": uuid.uuid4().hex,
            "action": "submit",
            "symptom": "headache",
            "severity_headache": "moderate",
        },
    )
    assert response.status_code == 303, response.content.decode()[:500]


def _alert_page(client: Any, alert: Alert) -> str:
    return page_text(client.get(reverse("alerts:detail", args=[alert.public_id])).content.decode())


def test_seen_just_past_its_window_the_alert_shows_the_overrun(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    with time_machine.travel(MONDAY_DOSE + DAY + dt.timedelta(seconds=30), tick=False):
        _check_in_with_headache(client_for("a1"))
    alert = Alert.objects.get(source=Alert.Source.SIDE_EFFECT_OVERDUE)
    text = _alert_page(client_for("clinician_a"), alert)
    assert (
        "Headache seen 24 h 1 min after the dose on Monday 30 November, 1 minute past its usual time "
        "(usually gone by about 24 hours)." in text
    )
    assert "seen 24 hours" not in text


def test_twenty_minutes_past_its_window_the_alert_says_so(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    with time_machine.travel(MONDAY_DOSE + DAY + dt.timedelta(minutes=20), tick=False):
        _check_in_with_headache(client_for("a1"))
    text = _alert_page(client_for("clinician_a"), Alert.objects.get())
    assert "Headache lasting longer than expected after the dose on Monday 30 November" in text
    assert (
        "Headache seen 24 h 20 min after the dose on Monday 30 November, 20 minutes past its usual time "
        "(usually gone by about 24 hours). The patient was asked to contact the clinic today." in text
    )


def test_still_there_on_is_it_gone_past_its_window_says_the_overrun_too(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    patient = client_for("a1")
    with time_machine.travel(MONDAY_DOSE + dt.timedelta(hours=2), tick=False):
        _check_in_with_headache(patient)
    episode = SymptomReport.objects.get()
    with time_machine.travel(MONDAY_DOSE + DAY + dt.timedelta(hours=2, minutes=5), tick=False):
        response = patient.post(
            reverse("checkins:episodes"), {"episode": str(episode.public_id), "answer": "still"}
        )
    assert response.status_code == 200
    alert = Alert.objects.get()
    assert alert.dedupe_key == f"side_effect_overdue:{episode.public_id}"
    text = _alert_page(client_for("clinician_a"), alert)
    assert (
        "Headache seen 26 h 5 min after the dose on Monday 30 November, 2 h 5 min past its usual time" in text
    )


def test_said_to_last_longer_inside_its_window_it_claims_no_overrun(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    patient = client_for("a1")
    with time_machine.travel(MONDAY_DOSE + dt.timedelta(hours=2), tick=False):
        _check_in_with_headache(patient)
    episode = SymptomReport.objects.get()
    with time_machine.travel(MONDAY_DOSE + dt.timedelta(hours=5, minutes=10), tick=False):
        patient.post(
            reverse("checkins:episodes"),
            {"episode": str(episode.public_id), "answer": "still", "says_longer": "1"},
        )
    text = _alert_page(client_for("clinician_a"), Alert.objects.get())
    assert (
        "Headache seen 5 h 10 min after the dose on Monday 30 November, within its usual time (usually gone "
        "by about 24 hours). The patient says it is lasting longer than usual for them." in text
    )
    assert "past its usual time" not in text


def test_two_doses_raise_two_alerts_each_naming_its_dose(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    with time_machine.travel(MONDAY_DOSE + DAY + dt.timedelta(hours=1), tick=False):
        _check_in_with_headache(patient)
    make_dose(personas.a1, started_at=THURSDAY_DOSE)
    with time_machine.travel(THURSDAY_DOSE + DAY + dt.timedelta(hours=1), tick=False):
        _check_in_with_headache(patient)
        inbox = page_text(client_for("clinician_a").get(reverse("alerts:inbox")).content.decode())
    episodes = SymptomReport.objects.order_by("started_at")
    assert [e.dose_started_at for e in episodes] == [MONDAY_DOSE, THURSDAY_DOSE]
    # One alert per episode, by the episode's key.
    assert sorted(Alert.objects.values_list("dedupe_key", flat=True)) == sorted(
        f"side_effect_overdue:{e.public_id}" for e in episodes
    )
    assert "Headache lasting longer than expected after the dose on Monday 30 November" in inbox
    assert "Headache lasting longer than expected after the dose on Thursday 3 December" in inbox


def test_a_new_symptom_after_its_window_names_the_dose_it_came_after(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=MONDAY_DOSE)
    with time_machine.travel(dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC), tick=False):
        response = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": uuid.uuid4().hex,
                "action": "submit",
                "symptom": "headache",
                "severity_headache": "moderate",
                "onset_headache": "day:2026-12-03",
            },
        )
    assert response.status_code == 303
    text = _alert_page(client_for("clinician_a"), Alert.objects.get())
    assert "began about 2 days after the dose on Monday 30 November" in text
