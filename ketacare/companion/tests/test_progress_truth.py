"""Progress never calls a suicide-risk answer good news, and red flags are not side-effect durations."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketacare.questionnaires.services import submit_questionnaire

pytestmark = pytest.mark.django_db

LOW_WITH_ITEM_9 = {f"phq9.q{i}": 0 for i in range(1, 9)} | {"phq9.q9": 2}
HIGH = {f"phq9.q{i}": 3 for i in range(1, 9)} | {"phq9.q9": 0}


def test_a_low_score_with_a_suicide_risk_answer_is_not_called_remission(
    personas: Any, client_for: Any
) -> None:
    for key, answers in (("first", HIGH), ("second", LOW_WITH_ITEM_9)):
        submit_questionnaire(
            patient=personas.a1,
            instrument_id="phq9",
            answers=answers,
            idempotency_key=key,
            now=timezone.now(),
        )
    body = client_for("a1").get("/me/progress/").content.decode()
    assert "range called remission" not in body
    assert "Your answer about thoughts of harming yourself matters more than this score" in body


def test_learn_search_with_no_result_still_shows_where_help_is(personas: Any, client_for: Any) -> None:
    body = client_for("a1").get("/me/learn/", {"q": "qqqxzv"}).content.decode()
    assert "Nothing found for" in body and "Need help now?" in body
    assert personas.clinic_a.crisis_line in body
