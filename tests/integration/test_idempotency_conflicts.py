"""The same idempotency key with the same content returns the original; with other content, a 409.

Silently answering a changed body with the first submission would lose what the patient wrote
without anyone knowing (docs/security.md S10).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from ketacare.checkins.models import SymptomCheckin
from ketacare.journal.models import JournalEntry
from ketacare.questionnaires.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db

PHQ9 = {f"phq9.q{i}": 1 for i in range(1, 10)} | {"phq9.q9": 0}
CASES = [
    ("api:write_journal_entry", {"text": "A calm day."}, {"text": "A stormy day."}, JournalEntry),
    (
        "api:submit_checkin",
        {"mood": 5, "note": "tired", "reports": [{"symptom_id": "fatigue", "severity": "mild"}]},
        {"mood": 5, "note": "tired", "reports": [{"symptom_id": "fatigue", "severity": "severe"}]},
        SymptomCheckin,
    ),
    (
        "api:submit_questionnaire",
        {"instrument_id": "phq9", "answers": PHQ9},
        {"instrument_id": "phq9", "answers": PHQ9 | {"phq9.q1": 3}},
        QuestionnaireResponse,
    ),
]


def _post(client: Any, name: str, body: dict[str, Any]) -> Any:
    return client.post(
        reverse(name),
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "same-key"},
    )


@pytest.mark.parametrize(("name", "first", "changed", "model"), CASES)
def test_a_retry_with_the_same_content_returns_the_original(
    personas: Any, client_for: Any, name: str, first: dict[str, Any], changed: dict[str, Any], model: Any
) -> None:
    client = client_for("a1")
    original = _post(client, name, first)
    assert original.status_code == 201, original.content
    retry = _post(client, name, first)
    assert retry.status_code == 200 and retry.json() == original.json()
    assert model.objects.filter(patient=personas.a1).count() == 1


@pytest.mark.parametrize(("name", "first", "changed", "model"), CASES)
def test_the_same_key_with_other_content_is_a_409_and_changes_nothing(
    personas: Any, client_for: Any, name: str, first: dict[str, Any], changed: dict[str, Any], model: Any
) -> None:
    client = client_for("a1")
    assert _post(client, name, first).status_code == 201
    conflict = _post(client, name, changed)
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["field"] == "idempotency_key"
    assert "already used for a different submission" in conflict.json()["detail"]
    assert model.objects.filter(patient=personas.a1).count() == 1
