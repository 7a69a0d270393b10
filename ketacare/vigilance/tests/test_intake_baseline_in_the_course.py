"""The clinic's intake baseline is the first score of the course rules' series (docs/decisions/0030).

The nurse takes the PHQ-9 at intake and the patient is not asked it again at home: the course rules
must compare the patient's later answers with that score, not with their first answer at home.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.intake.tests.conftest import intake_url
from ketacare.vigilance.course_signals import score_series
from tests.support.cohort import add_scores, day

pytestmark = pytest.mark.django_db


def _phq9(total: int) -> dict[str, int]:
    """Answers adding up to ``total``: items 1-8 first (3 each), the rest on item 9."""
    answers = {}
    left = total
    for n in range(1, 10):
        answers[f"phq9.q{n}"] = min(3, left)
        left -= answers[f"phq9.q{n}"]
    return answers


def _intake_phq9(personas: Any, client_for: Any, total: int, at: dt.datetime) -> None:
    posted = {"instrument": "phq9", **{f"phq9-{k}": str(v) for k, v in _phq9(total).items()}}
    with time_machine.travel(at, tick=False):
        response = client_for("clinician_a").post(
            intake_url("baseline", personas.a1), posted, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and f"total {total}" in response.content.decode()


def _answer_at_home(client_for: Any, total: int, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        response = client_for("a1").post(
            reverse("questionnaires:fill", args=["phq9"]),
            {"idempotency_key": f"home-{at:%Y%m%d}", **{k: str(v) for k, v in _phq9(total).items()}},
        )
    assert response.status_code == 303


def _alert_page(client_for: Any, alert: Alert) -> str:
    page = client_for("clinician_a").get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_worsening_is_measured_from_the_intake_baseline(personas: Any, client_for: Any) -> None:
    # PHQ-9 worsening threshold: 5 points (instrument data). Intake 20, then 25 and 26 at home.
    start = personas.a1.created_at + dt.timedelta(hours=1)
    _intake_phq9(personas, client_for, 20, start)
    _answer_at_home(client_for, 25, start + dt.timedelta(days=7))
    _answer_at_home(client_for, 26, start + dt.timedelta(days=14))
    alert = Alert.objects.get(patient=personas.a1, source="worsening_trend")
    assert alert.evidence["code"] == "worsening" and alert.evidence["baseline"] == "20"
    assert [s["score"] for s in alert.evidence["scores"]] == ["20", "25", "26"]
    assert "(PHQ-9) scores (baseline 20)" in _alert_page(client_for, alert)


def test_a_lost_response_is_measured_from_the_intake_baseline(personas: Any, client_for: Any) -> None:
    # Intake 20; at home 9 (a response: at most half of 20), then 14 and 16: two in a row that are
    # neither response nor remission. From the first home answer (9) it would read as worsening.
    start = personas.a1.created_at + dt.timedelta(hours=1)
    _intake_phq9(personas, client_for, 20, start)
    for week, total in ((2, 9), (3, 14), (4, 16)):
        _answer_at_home(client_for, total, start + dt.timedelta(weeks=week))
    [alert] = Alert.objects.filter(patient=personas.a1, source="worsening_trend")
    assert alert.evidence["code"] == "loss_of_response" and alert.evidence["baseline"] == "20"
    assert "Possible relapse" in alert.title
    assert [s["change"] for s in alert.evidence["scores"]][:2] == ["no change", "response"]


def test_an_intake_baseline_at_the_same_time_as_an_answer_comes_first(personas: Any) -> None:
    from ketacare.intake.services import record_baseline_score

    add_scores(personas.b1, [(0, 10), (7, 12)])
    with time_machine.travel(day(0), tick=False):
        record_baseline_score(
            patient=personas.b1, user=personas.clinician_b, instrument_id="phq9", answers=_phq9(20)
        )
    assert score_series(patient=personas.b1, now=day(8))["phq9"] == [(day(0), 20), (day(0), 10), (day(7), 12)]
