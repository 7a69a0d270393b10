"""Episodes: honest end intervals, red flags never closed by omission, the "is it gone?" answer and its alert."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import (
    CheckinError,
    ReportIn,
    answer_episode,
    close_episode_by_clinician,
    open_episodes,
    submit_checkin,
)
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _checkin(patient: Any, key: str, reports: list[ReportIn], now: dt.datetime) -> None:
    submit_checkin(patient=patient, idempotency_key=key, reports=reports, mood=5, note="", now=now)


def test_gone_by_omission_a_day_later_is_not_longer_than_usual(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=30)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("blurred_vision")], dosed + dt.timedelta(minutes=30))
    _checkin(personas.a1, "2", [], dosed + dt.timedelta(hours=19))
    episode = SymptomReport.objects.get(symptom_id="blurred_vision")
    result = episode.duration()
    assert episode.closed_by == SymptomReport.ClosedBy.OMISSION
    assert result.interval == pytest.approx((30, 19 * 60))
    assert result.longer_than_usual is False
    assert not Alert.objects.exists()


def _web_checkin(client: Any, key: str, **answers: str) -> None:
    response = client.post(
        reverse("checkins:checkin"), {"idempotency_key": key, "action": "submit", **answers}
    )
    assert response.status_code == 303, response.content.decode()[:500]


def test_a_side_effect_left_unanswered_on_the_form_stays_open_until_the_patient_says_it_went(
    personas: Any, client_for: Any
) -> None:
    """The form asks "Still there / Gone" about open symptoms above "Anything new? Tick what you feel
    now": a patient who ticks something new and leaves nausea unanswered has not said it went."""
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=1))
    patient = client_for("a1")
    _web_checkin(patient, "w1", symptom="nausea", severity_nausea="severe")
    _web_checkin(patient, "w2", symptom="headache", severity_headache="mild")
    nausea = SymptomReport.objects.get(symptom_id="nausea")
    assert nausea.resolved_at is None and nausea.closed_by == ""
    assert nausea.duration().open
    _web_checkin(patient, "w3", **{f"episode_{nausea.public_id}": "gone", f"gone_{nausea.public_id}": "0"})
    nausea.refresh_from_db()
    assert nausea.resolved_at is not None and nausea.closed_by == SymptomReport.ClosedBy.PATIENT
    assert SymptomReport.objects.get(symptom_id="headache").resolved_at is None


def test_a_red_flag_is_not_closed_by_a_checkin_that_does_not_tick_it(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=5)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("urinary_symptoms")], dosed + dt.timedelta(minutes=60))
    _checkin(personas.a1, "2", [ReportIn("headache")], dosed + dt.timedelta(minutes=129))
    flag = SymptomReport.objects.get(symptom_id="urinary_symptoms")
    assert flag.resolved_at is None and flag.duration().open
    assert [e.symptom_id for e in open_episodes(patient=personas.a1)] == ["urinary_symptoms", "headache"]
    closed = close_episode_by_clinician(episode=flag, now=dosed + dt.timedelta(hours=4))
    assert closed.closed_by == SymptomReport.ClosedBy.CLINICIAN and not closed.duration().open


def test_still_there_after_the_window_alerts_once(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=10)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("headache")], dosed + dt.timedelta(minutes=60))
    episode = SymptomReport.objects.get(symptom_id="headache")
    assert episode.longer_after_min is not None
    early = answer_episode(
        patient=personas.a1,
        episode_id=str(episode.public_id),
        gone=False,
        now=dosed + dt.timedelta(minutes=90),
    )
    assert early.alert is None and not early.episode.seen_after_window
    late_time = dosed + dt.timedelta(minutes=episode.longer_after_min + 30)
    late = answer_episode(patient=personas.a1, episode_id=str(episode.public_id), gone=False, now=late_time)
    assert late.episode.seen_after_window and late.episode.duration().longer_than_usual
    assert late.alert is not None and late.alert.source == Alert.Source.SIDE_EFFECT_OVERDUE
    again = answer_episode(
        patient=personas.a1,
        episode_id=str(episode.public_id),
        gone=False,
        now=late_time + dt.timedelta(hours=1),
    )
    assert again.alert == late.alert and Alert.objects.count() == 1


def test_gone_at_about_gives_the_end(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=6)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("nausea", onset_min=30)], dosed + dt.timedelta(minutes=45))
    episode = SymptomReport.objects.get(symptom_id="nausea")
    assert episode.onset_min == 30
    answered = answer_episode(
        patient=personas.a1,
        episode_id=str(episode.public_id),
        gone=True,
        gone_minutes_ago=120,
        now=dosed + dt.timedelta(minutes=300),
    )
    result = answered.episode.duration()
    assert answered.episode.closed_by == SymptomReport.ClosedBy.PATIENT
    assert result.end_min == pytest.approx(180) and result.interval == pytest.approx((180, 180))
    assert not result.longer_than_usual


def test_never_answered_stays_open(personas: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=2)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("fatigue")], dosed + dt.timedelta(minutes=30))
    result = SymptomReport.objects.get(symptom_id="fatigue").duration()
    assert result.open and result.interval[1] == math.inf


def test_bad_answers_are_named(personas: Any) -> None:
    with pytest.raises(CheckinError) as error:
        answer_episode(
            patient=personas.a1,
            episode_id="00000000-0000-0000-0000-000000000000",
            gone=True,
            now=timezone.now(),
        )
    assert error.value.field == "episode"
    with pytest.raises(CheckinError) as error:
        submit_checkin(
            patient=personas.a1,
            idempotency_key="x",
            reports=[ReportIn("nausea", onset_min=-5)],
            mood=None,
            note="",
            now=timezone.now(),
        )
    assert error.value.field == "onset_min"


def test_a_clinician_closes_a_red_flag_from_the_checkins_page(personas: Any, client_for: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=3)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("urinary_symptoms")], dosed + dt.timedelta(minutes=60))
    flag = SymptomReport.objects.get(symptom_id="urinary_symptoms")
    url = reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    page = client_for("clinician_a").get(url).content.decode()
    assert "still open" in page and "(red flag)" in page
    close = reverse("checkins:staff_close_episode", kwargs={"patient_id": str(personas.a1.public_id)})
    response = client_for("clinician_a").post(close, {"episode": str(flag.public_id)})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.closed_by == SymptomReport.ClosedBy.CLINICIAN and flag.resolved_at is not None


def test_the_checkins_page_gives_a_side_effects_usual_window_in_hours_not_minutes(
    personas: Any, client_for: Any
) -> None:
    dosed = timezone.now() - dt.timedelta(hours=3)
    make_dose(personas.a1, started_at=dosed)
    _checkin(personas.a1, "1", [ReportIn("nausea")], dosed + dt.timedelta(minutes=60))
    nausea = SymptomReport.objects.get(symptom_id="nausea")
    assert nausea.expected_resolution_min == 240
    url = reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    page = client_for("clinician_a").get(url).content.decode()
    assert "about 4 hours after the dose" in page and "240 min" not in page
