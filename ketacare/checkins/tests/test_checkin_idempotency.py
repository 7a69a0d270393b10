"""The same check-in sent twice with one idempotency key stores one row (docs/security.md S10)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.lib.idempotency import IdempotencyConflict

pytestmark = pytest.mark.django_db


def test_the_service_returns_the_original_row_on_a_retry(personas: Any) -> None:
    kwargs: dict[str, Any] = {
        "patient": personas.a1,
        "idempotency_key": "same",
        "reports": [ReportIn("chest_pain")],
        "mood": 4,
        "note": "",
        "now": timezone.now(),
    }
    first = submit_checkin(**kwargs)  # type: ignore[arg-type]
    second = submit_checkin(**kwargs)  # type: ignore[arg-type]
    assert first.created and not second.created
    assert second.checkin.pk == first.checkin.pk and second.checkin.mood_0_10 == 4
    # Other content under the same key is refused, not silently answered with the original (0caf5a1).
    with pytest.raises(IdempotencyConflict):
        submit_checkin(**{**kwargs, "mood": 9})  # type: ignore[arg-type]
    assert SymptomCheckin.objects.count() == 1
    assert SymptomReport.objects.count() == 1
    assert Alert.objects.count() == 1


def test_a_double_submitted_form_stores_one_row(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    data = {
        "idempotency_key": "form-key-1",
        "action": "submit",
        "mood": "7",
        "symptom": "nausea",
        "severity_nausea": "mild",
    }
    first = client.post(reverse("checkins:checkin"), data)
    second = client.post(reverse("checkins:checkin"), data)
    # Both lead to the same stored check-in's answer page (Post/Redirect/Get), which opens.
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert client.get(second["Location"]).status_code == 200
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 1


def test_the_api_answers_201_then_200_with_the_same_row(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    url = reverse("api:submit_checkin")
    body = json.dumps({"mood": 3, "reports": [{"symptom_id": "headache", "severity": "mild"}]})
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-key-1"})
    second = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-key-1"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["public_id"] == second.json()["public_id"]
    assert SymptomCheckin.objects.count() == 1


def test_the_same_key_from_two_patients_makes_two_rows(personas: Any) -> None:
    for patient in (personas.a1, personas.a2):
        submit_checkin(patient=patient, idempotency_key="k", reports=[], mood=5, note="", now=timezone.now())
    assert SymptomCheckin.objects.count() == 2
