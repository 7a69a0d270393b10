"""A NUL character anywhere in a patient submission is a 422 naming the field; nothing is written.

Found by the API fuzzer on PostgreSQL, whose text columns refuse NUL: a journal text, a check-in
note or an idempotency key holding one failed in the database with a 500. The three patient
submission endpoints share the parsing helper, so each is checked.
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


@pytest.mark.parametrize(
    ("name", "body", "field", "model"),
    [
        ("api:write_journal_entry", {"idempotency_key": "j1", "text": "a\x00b"}, "text", JournalEntry),
        (
            "api:write_journal_entry",
            {"idempotency_key": "j\x00", "text": "ab"},
            "idempotency_key",
            JournalEntry,
        ),
        ("api:submit_checkin", {"idempotency_key": "c1", "note": "a\x00b"}, "note", SymptomCheckin),
        (
            "api:submit_checkin",
            {"idempotency_key": "c2", "reports": [{"symptom_id": "headache\x00"}]},
            "reports.0.symptom_id",
            SymptomCheckin,
        ),
        (
            "api:submit_questionnaire",
            {"idempotency_key": "q1", "instrument_id": "phq9", "answers": {"phq9.q1\x00": 1}},
            "answers.phq9.q1\\x00",
            QuestionnaireResponse,
        ),
    ],
)
def test_a_nul_character_is_refused_naming_the_field(
    personas: Any, client_for: Any, name: str, body: dict[str, Any], field: str, model: Any
) -> None:
    response = client_for("a1").post(reverse(name), json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "NUL character" in response.json()["errors"][0]["message"]
    assert not model.objects.exists()
