"""A symptom that began days after the session is not answered as if it had lasted since the dose: the
patient can say it began today (or yesterday, or on a named day), the core judges it as a new symptom,
and nothing claims a duration the patient never gave."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import CheckinError, ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 08:00 in New York (patient A1's clock); the session was Thursday 3 December, 10:00.
NOW = dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)
DOSED = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)


def _form(client: Any) -> str:
    return html.unescape(client.get(reverse("checkins:checkin")).content.decode())


def _send(client: Any, **fields: str) -> Any:
    return client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields},
        follow=True,
    )


def test_the_form_offers_the_days_after_the_session(personas: Any, client_for: Any) -> None:
    assert personas.a1.time_zone == "America/New_York"
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(NOW, tick=False):
        page = _form(client_for("a1"))
    choices = page[page.index('id="onset-headache"') :]
    choices = choices[: choices.index("</select>")]
    for value, text in (
        ("day:2026-12-07", "It began today"),
        ("day:2026-12-06", "It began yesterday"),
        ("day:2026-12-04", "It began on Friday 4 December"),
        ("240", "About 4 hours after your session on Thursday 3 December"),
    ):
        assert f'<option value="{value}">{text}</option>' in choices, value
    # Not the day of the treatment itself: "about N after the treatment" says when on that day.
    assert "day:2026-12-03" not in choices


def test_a_headache_that_began_today_is_a_new_symptom_not_four_days_long(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(NOW, tick=False):
        response = _send(
            client_for("a1"),
            symptom="headache",
            severity_headache="moderate",
            onset_headache="day:2026-12-07",
        )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "still there" not in page and "longer than any expected effect" not in page
    assert "later than the effects of treatment usually begin, so it may have another cause" in page
    assert 'data-level="contact_clinic"' in page
    checkin = SymptomCheckin.objects.get()
    # The start of Monday on the patient's clock: 3 days 14 hours after the dose, the earliest it began.
    assert checkin.triage_result["details"][0]["onset_min"] == (3 * 24 + 14) * 60
    episode = SymptomReport.objects.get()
    # The dose's window says nothing about a new symptom: never "longer than usual" by it.
    assert episode.longer_after_min is None and episode.expected_resolution_min is None
    assert not episode.duration().longer_than_usual and not episode.seen_after_window
    alert = Alert.objects.get()
    assert alert.title == "Headache began after its usual window: a new symptom"
    assert "lasting longer" not in alert.title


def test_without_a_day_the_answer_is_as_before(personas: Any, client_for: Any) -> None:
    # The same level; the words say when it was reported, not that it has been there since the dose.
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(NOW, tick=False):
        response = _send(client_for("a1"), symptom="headache", severity_headache="moderate")
    page = html.unescape(response.content.decode())
    assert "later than any expected effect" in page and 'data-level="contact_clinic"' in page


def test_a_day_outside_the_session_and_today_is_refused_naming_the_field(personas: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    for day in (dt.date(2026, 12, 3), dt.date(2026, 12, 8)):
        with pytest.raises(CheckinError) as caught:
            submit_checkin(
                patient=personas.a1,
                idempotency_key=uuid.uuid4().hex,
                reports=[ReportIn("headache", "moderate", onset_day=day)],
                mood=None,
                note="",
                now=NOW,
            )
        assert caught.value.field == "onset_day"
        assert "allowed from 2026-12-04 (the day after the treatment) to 2026-12-07 (today)" in str(
            caught.value
        )
    assert not SymptomCheckin.objects.exists()


def test_a_made_up_onset_on_the_form_is_refused_at_its_row(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(NOW, tick=False):
        response = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": "x",
                "action": "submit",
                "symptom": "headache",
                "severity_headache": "mild",
                "onset_headache": "day:someday",
            },
        )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert '<a href="#sev-headache">When it began (Headache): choose one of the times or days offered' in page
    assert not SymptomCheckin.objects.exists()


def test_the_api_takes_the_day_too(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=DOSED)
    with time_machine.travel(NOW, tick=False):
        response = client_for("a1").post(
            reverse("api:submit_checkin"),
            {
                "idempotency_key": "api-day",
                "reports": [{"symptom_id": "headache", "severity": "moderate", "onset_day": "2026-12-06"}],
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    start = dt.datetime(2026, 12, 6, tzinfo=ZoneInfo("America/New_York"))
    onset = SymptomCheckin.objects.get().triage_result["details"][0]["onset_min"]
    assert onset == (start - DOSED).total_seconds() / 60
