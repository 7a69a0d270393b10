"""Sent answers are stored, then the browser is sent to their result page (Post/Redirect/Get).

A refresh of the result page is a GET: it never posts the answers again. The result page shows what the
answer to the POST showed, the crisis resources first of all, and only to the patient who sent them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.audit.models import AccessEvent
from ketacare.questionnaires.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db

FILL = reverse("questionnaires:fill", kwargs={"instrument": "phq9"})


def _answers(item9: int, others: int = 1) -> dict[str, str]:
    return {f"phq9.q{i}": str(item9 if i == 9 else others) for i in range(1, 10)}


def _send(client: Any, answers: dict[str, str], key: str | None = None) -> Any:
    return client.post(FILL, {"idempotency_key": key or uuid.uuid4().hex, **answers})


def _result_url(response: QuestionnaireResponse) -> str:
    return reverse("questionnaires:result", kwargs={"response_id": str(response.public_id)})


def test_a_positive_item_9_leads_after_the_redirect_to_the_crisis_line_and_the_emergency_number(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    sent = _send(client, _answers(1))
    stored = QuestionnaireResponse.objects.get()
    # A 303 to this response's own GET page: the POST's answer is no page a refresh could post again.
    assert sent.status_code == 303 and sent["Location"] == _result_url(stored)
    assert sent.content == b""
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.source == "phq9_item9" and alert.severity == "urgent"
    assert alert.clinic == personas.clinic_a and alert.assignee == personas.clinician_a
    page = client.get(sent["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'role="alert"' in body and "You are not alone — help is available now" in body
    assert 'href="tel:988"' in body and "Call 988" in body  # the crisis line
    assert 'href="tel:911"' in body and "Call 911" in body  # the emergency number
    assert f'href="tel:{personas.clinic_a.phone}"' in body
    assert "Your clinic has been alerted." in body
    assert '<strong class="score">9</strong>' in body
    # A refresh shows the same page and stores nothing more.
    again = client.get(sent["Location"])
    assert again.status_code == 200 and "help is available now" in again.content.decode()
    assert QuestionnaireResponse.objects.count() == 1 and Alert.objects.count() == 1


def test_the_crisis_numbers_are_the_patients_own_clinics(personas: Any, client_for: Any) -> None:
    client = client_for("b1")
    page = client.get(_send(client, _answers(2, others=0))["Location"])
    body = page.content.decode()
    assert f'href="tel:{personas.clinic_b.crisis_line}"' in body  # 0800 1110111
    assert f'href="tel:{personas.clinic_b.emergency_number}"' in body  # 112
    assert 'href="tel:988"' not in body and 'href="tel:911"' not in body
    assert Alert.objects.filter(patient=personas.b1, source="phq9_item9").count() == 1


def test_a_negative_item_9_shows_the_score_and_band_without_the_crisis_screen(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    sent = _send(client, _answers(0, others=2))
    assert sent.status_code == 303
    body = client.get(sent["Location"]).content.decode()
    stored = QuestionnaireResponse.objects.get()
    assert "<h1>Thank you</h1>" in body and "help is available now" not in body
    assert '<strong class="score">16</strong>' in body and f"({stored.band})" in body
    assert "Patient Health Questionnaire-9" in body
    assert not Alert.objects.exists()


def test_the_same_answers_sent_twice_lead_to_the_same_result_and_are_stored_once(
    personas: Any, client_for: Any
) -> None:
    # The back button can bring back the filled form with its key: sending it again is the same answer.
    client = client_for("a1")
    first = _send(client, _answers(1), key="form-key-1")
    second = _send(client, _answers(1), key="form-key-1")
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert QuestionnaireResponse.objects.count() == 1 and Alert.objects.count() == 1


def test_answers_that_cannot_be_stored_come_back_on_the_form_with_a_400(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    missing = client.post(FILL, {"idempotency_key": "k-missing", "phq9.q1": "1"})
    assert missing.status_code == 400 and "Location" not in missing
    assert "Answer question 2 (“Feeling down, depressed, or hopeless”) to send." in missing.content.decode()
    assert "Answer question 3 (“Trouble falling or staying asleep…”) to send." in missing.content.decode()
    assert b'name="phq9.q1" value="1" checked' in missing.content
    not_a_number = client.post(FILL, {"idempotency_key": "k-nan", **_answers(0), "phq9.q2": "x"})
    assert not_a_number.status_code == 400 and "Location" not in not_a_number
    out_of_range = client.post(FILL, {"idempotency_key": "k-range", **_answers(0), "phq9.q3": "7"})
    assert out_of_range.status_code == 400 and "Location" not in out_of_range
    assert b"<form" in out_of_range.content
    assert not QuestionnaireResponse.objects.exists() and not Alert.objects.exists()


def _rows(response: Any) -> Any:
    return AccessEvent.objects.filter(request_id=response["X-Request-ID"])


def test_only_the_patient_who_sent_the_answers_opens_their_result_and_every_opening_is_audited(
    personas: Any, client_for: Any
) -> None:
    _send(client_for("a1"), _answers(1))
    url = _result_url(QuestionnaireResponse.objects.get())
    own = client_for("a1").get(url)
    assert own.status_code == 200
    granted = _rows(own).get()
    assert (granted.action, granted.outcome) == ("read", "granted")
    assert granted.patient_public_id == str(personas.a1.public_id)
    for persona in ("a2", "b1", "clinician_a", "admin_a", "clinician_b"):
        refused = client_for(persona).get(url)
        assert refused.status_code == 404, persona
        assert b"help is available now" not in refused.content and b"CanaryA1" not in refused.content
        row = _rows(refused).get()
        assert row.outcome == "denied", persona
    assert client_for("anonymous").get(url).status_code == 302


def test_an_unknown_or_malformed_result_id_is_a_404_with_a_denied_row(personas: Any, client_for: Any) -> None:
    for response_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = client_for("a1").get(reverse("questionnaires:result", kwargs={"response_id": response_id}))
        assert response.status_code == 404
        row = _rows(response).get()
        assert (row.outcome, row.object_type, row.object_id) == (
            "denied",
            "questionnaire_response",
            response_id,
        )
