"""Past scores stored without announcing each one, then the course rules run once over the whole
series, raise the same alerts as the rules run after every score (the demo's past courses)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.vigilance.course_signals import evaluate_course_signals
from tests.support.cohort import day

pytestmark = pytest.mark.django_db

# PHQ-9 20 -> 9 (response) -> 14 -> 16 (loss of response) -> 8 (response again) -> 15 -> 17 (lost again).
WEEKLY_TOTALS = [20, 9, 14, 16, 8, 15, 17]


def _phq9(total: int) -> dict[str, int]:
    items = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]  # item 9 stays 0: no crisis alert
    return {f"phq9.q{i + 1}": value for i, value in enumerate(items)}


def _submit_course(patient: Any, *, announce: bool) -> None:
    for week, total in enumerate(WEEKLY_TOTALS):
        submit_questionnaire(
            patient=patient,
            instrument_id="phq9",
            answers=_phq9(total),
            idempotency_key=f"course-{week}",
            now=day(7 * week),
            announce=announce,
        )


def _course_alerts(patient: Any) -> list[tuple[str, str, str, str]]:
    alerts = Alert.objects.filter(patient=patient, source=Alert.Source.WORSENING_TREND)
    return sorted((a.title, a.detail, a.dedupe_key, json.dumps(a.evidence, sort_keys=True)) for a in alerts)


def test_one_run_over_the_whole_history_raises_what_a_run_after_each_score_raises(personas: Any) -> None:
    _submit_course(personas.a1, announce=True)
    _submit_course(personas.a2, announce=False)
    assert _course_alerts(personas.a2) == []  # not announced: the rules have not run yet
    raised = evaluate_course_signals(patient=personas.a2, now=day(60), whole_history=True)
    assert len(raised) == 2
    assert _course_alerts(personas.a2) == _course_alerts(personas.a1)
    # Each alert shows the scores up to the one that completed its signal, not the later ones.
    first = min(raised, key=lambda alert: alert.dedupe_key)
    assert [row["score"] for row in first.evidence["scores"]] == ["20", "9", "14", "16"]


def test_the_latest_score_run_still_raises_only_what_the_latest_score_completed(personas: Any) -> None:
    _submit_course(personas.a2, announce=False)
    raised = evaluate_course_signals(patient=personas.a2, now=day(60))
    assert [alert.evidence["scores"][-1]["score"] for alert in raised] == ["17"]
