"""A submitted score that completes a relapse signal raises its alert at once, not only on the hourly job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.questionnaires.services import submit_questionnaire

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 9, 1, 15, 0, tzinfo=dt.UTC)


def _phq9_totalling(total: int) -> list[int]:
    answers = [0] * 9
    for index in range(8):  # item 9 stays 0: this test is about the course signal only
        answers[index] = min(3, total - sum(answers))
    assert sum(answers) == total
    return answers


def _submit(patient: Any, day: int, total: int) -> None:
    submit_questionnaire(
        patient=patient,
        instrument_id="phq9",
        answers={f"phq9.q{i}": v for i, v in enumerate(_phq9_totalling(total), start=1)},
        idempotency_key=f"course-{day}",
        now=START + dt.timedelta(days=day),
    )


def test_loss_of_response_is_raised_by_the_submission_that_completes_it(personas: Any) -> None:
    # 20 -> 9 is a response (>= 50% fall); 14 then 16 are two non-responding scores in a row.
    for day, total in [(0, 20), (14, 9), (21, 14)]:
        _submit(personas.a1, day, total)
    assert not Alert.objects.filter(source="worsening_trend").exists()
    _submit(personas.a1, 28, 16)
    alert = Alert.objects.get(source="worsening_trend")
    assert alert.patient == personas.a1 and alert.clinic == personas.clinic_a
    _submit(personas.a1, 28, 16)  # a retry of the same submission adds nothing
    assert Alert.objects.filter(source="worsening_trend").count() == 1
