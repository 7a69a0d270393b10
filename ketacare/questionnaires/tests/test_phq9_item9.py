"""A positive PHQ-9 item 9 shows crisis resources at once and raises an alert in the same transaction."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.questionnaires.models import QuestionnaireResponse
from ketacare.questionnaires.services import QuestionnaireError, submit_questionnaire

pytestmark = pytest.mark.django_db


def _answers(item9: int, others: int = 1) -> dict[str, str]:
    return {f"phq9.q{i}": str(item9 if i == 9 else others) for i in range(1, 10)}


def test_item_9_answered_one_shows_the_crisis_line_and_raises_an_urgent_alert(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    sent = client.post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_answers(1)},
    )
    # Post/Redirect/Get: the answers are stored, the browser is sent to their result page.
    assert sent.status_code == 303
    response = client.get(sent["Location"])
    assert response.status_code == 200
    assert b"help is available now" in response.content
    assert b"tel:988" in response.content and b"tel:911" in response.content
    stored = QuestionnaireResponse.objects.get()
    assert stored.total == 9 and stored.instrument_version
    alert = Alert.objects.get()
    assert alert.source == "phq9_item9" and alert.severity == "urgent"
    assert alert.clinic == personas.clinic_a and alert.assignee == personas.clinician_a


def test_item_9_answered_zero_shows_no_crisis_screen_and_no_alert(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_answers(0, others=2)},
        follow=True,
    )
    assert response.redirect_chain[-1][1] == 303 and response.status_code == 200
    assert b"help is available now" not in response.content
    assert b"16" in response.content  # the score
    assert not Alert.objects.exists()


@pytest.mark.parametrize("item9", [0, 1, 2, 3])
def test_the_alert_exists_exactly_when_item_9_is_positive(personas: Any, item9: int) -> None:
    outcome = submit_questionnaire(
        patient=personas.a1,
        instrument_id="phq9",
        answers={k: int(v) for k, v in _answers(item9, others=0).items()},
        idempotency_key=f"k{item9}",
        now=timezone.now(),
    )
    assert outcome.crisis is (item9 >= 1)
    assert Alert.objects.filter(source="phq9_item9").count() == (1 if item9 >= 1 else 0)


def test_a_retry_returns_the_original_response_and_one_alert(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    body = json.dumps({"instrument_id": "phq9", "answers": {k: int(v) for k, v in _answers(2).items()}})
    url = reverse("api:submit_questionnaire")
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "q-1"})
    second = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "q-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert QuestionnaireResponse.objects.count() == 1 and Alert.objects.count() == 1


def test_missing_or_out_of_range_answers_name_the_item_and_write_nothing(
    personas: Any, client_for: Any
) -> None:
    answers = _answers(0)
    answers["phq9.q3"] = "7"
    response = client_for("a1").post(
        reverse("api:submit_questionnaire"),
        json.dumps(
            {
                "idempotency_key": "bad",
                "instrument_id": "phq9",
                "answers": {k: int(v) for k, v in answers.items()},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "phq9.q3" in response.content.decode()
    form = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": "bad2", "phq9.q1": "1"},
    )
    assert form.status_code == 400
    assert "Answer question 2 (“Feeling down, depressed, or hopeless”) to send." in form.content.decode()
    assert "Answer question 9 (“Thoughts that you would be better off…”) to send." in form.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_an_unknown_or_clinician_instrument_is_refused(personas: Any, client_for: Any) -> None:
    with pytest.raises(QuestionnaireError, match="allowed"):
        submit_questionnaire(
            patient=personas.a1, instrument_id="madrs", answers={}, idempotency_key="x", now=timezone.now()
        )
    assert (
        client_for("a1").get(reverse("questionnaires:fill", kwargs={"instrument": "nope"})).status_code == 404
    )
