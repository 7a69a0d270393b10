"""Bad check-in input gets an error naming the field and the allowed range, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import NOTE_MAX_CHARS, SymptomCheckin, SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"mood": "11"}, b"Mood must be a whole number from 0 to 10."),
        ({"mood": "-1"}, b"Mood must be a whole number from 0 to 10."),
        ({"symptom": "not_a_symptom"}, b"Unknown symptom id"),
        ({"note": "x" * (NOTE_MAX_CHARS + 1)}, f"Note: at most {NOTE_MAX_CHARS} characters.".encode()),
        ({"symptom": "headache", "severity_headache": "unbearable"}, b"allowed mild, moderate, severe"),
    ],
)
def test_the_form_names_the_field_and_writes_nothing(
    personas: Any, client_for: Any, extra: dict[str, str], expected: bytes
) -> None:
    data = {"idempotency_key": "bad-1", "action": "submit", **extra}
    response = client_for("a1").post(reverse("checkins:checkin"), data)
    assert response.status_code == 400
    assert expected in response.content
    assert not SymptomCheckin.objects.exists() and not Alert.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mood": 11}, "mood"),
        ({"reports": [{"symptom_id": "not_a_symptom"}]}, "symptom_id"),
        ({"note": "x" * (NOTE_MAX_CHARS + 1)}, "note"),
        ({"reports": [{"symptom_id": "headache", "severity": "huge"}]}, "reports.0.severity"),
    ],
)
def test_the_api_answers_422_naming_the_field(
    personas: Any, client_for: Any, body: dict[str, Any], field: str
) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "bad-api", **body}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert "Traceback" not in response.content.decode()
    assert not SymptomCheckin.objects.exists()


def test_the_mood_range_error_names_zero_to_ten(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "k", "mood": 11}),
        content_type="application/json",
    )
    message = next(e["message"] for e in response.json()["errors"] if e["field"] == "mood")
    assert "10" in message


def test_an_empty_check_in_is_refused_and_changes_nothing(personas: Any, client_for: Any) -> None:
    # An open side effect, which an empty check-in stored would have ended "by omission".
    submit_checkin(
        patient=personas.a1,
        idempotency_key="before",
        reports=[ReportIn("nausea")],
        mood=5,
        note="",
        now=timezone.now(),
    )
    response = client_for("a1").post(
        reverse("checkins:checkin"), {"idempotency_key": "empty", "action": "submit", "mood": "", "note": ""}
    )
    assert response.status_code == 400
    assert b"Nothing to send yet" in response.content
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 1
    assert SymptomReport.objects.get(symptom_id="nausea").resolved_at is None
