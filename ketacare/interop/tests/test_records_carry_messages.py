"""The patient's messages with their care team are in every download: PDF, CSV and FHIR (Communication).

Only the patient's own thread: another patient's messages at the same clinic are in none of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.messaging.services import reply_to_patient, send_patient_message
from tests.support.fhir import strict_validate

pytestmark = pytest.mark.django_db

QUESTION = "=HYPERLINK(1) Can we move my Friday appointment to the afternoon? CanaryQ"
ANSWER = "Yes, we have moved it to 14:00 on Friday. CanaryR"
OTHER = "CanaryA2 message about my own plan"


@pytest.fixture
def thread(personas: Any) -> dict[str, Any]:
    now = timezone.now()
    question = send_patient_message(
        patient=personas.a1, body=QUESTION, idempotency_key="m1", now=now - dt.timedelta(hours=3)
    ).message
    answer = reply_to_patient(
        patient=personas.a1,
        user=personas.clinician_a,
        body=ANSWER,
        idempotency_key="m2",
        now=now - dt.timedelta(hours=2),
    )
    send_patient_message(patient=personas.a2, body=OTHER, idempotency_key="m3", now=now)
    return {"question": question, "answer": answer}


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


def test_the_csv_has_the_patients_messages_both_ways(
    thread: dict[str, Any], personas: Any, client_for: Any
) -> None:
    body = client_for("a1").get(reverse("interop:records_csv")).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    messages = [r for r in rows if r[0] == "message"]
    assert [r[2:] for r in messages] == [
        ["from you", "answered: yes", "'" + QUESTION],  # a formula is defused
        ["from your care team", "", ANSWER],
    ]
    zone = ZoneInfo(personas.a1.time_zone)
    sent = dt.datetime.fromisoformat(messages[0][1])
    assert sent == thread["question"].sent_at.replace(microsecond=0)
    assert sent.utcoffset() == thread["question"].sent_at.astimezone(zone).utcoffset()
    assert "CanaryA2" not in body


def test_the_pdf_has_a_messages_section_with_both_sides(thread: dict[str, Any], client_for: Any) -> None:
    text = _pdf_text(client_for("a1").get(reverse("interop:records_pdf")).content)
    assert "Messages with your care team" in text
    assert "Can we move my Friday appointment to the afternoon? CanaryQ" in text
    assert "we have moved it to 14:00 on Friday. CanaryR" in text
    assert text.index("CanaryQ") < text.index("CanaryR")
    assert "Your care team" in text
    assert "CanaryA2" not in text


def test_the_fhir_bundle_has_each_message_as_a_valid_communication(
    thread: dict[str, Any], personas: Any, client_for: Any
) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.communication import Communication

    response = client_for("a1").get(reverse("interop:records_fhir"))
    bundle = json.loads(response.content)
    Bundle.model_validate(bundle)
    strict_validate(bundle)
    communications = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Communication"
    ]
    for resource in communications:
        Communication.model_validate(resource)
        strict_validate(resource)
    patient = f"urn:uuid:{personas.a1.public_id}"
    question, answer = communications
    assert question["id"] == str(thread["question"].public_id)
    assert question["payload"] == [{"contentString": QUESTION}]
    assert question["sender"] == {"reference": patient}
    assert question["subject"] == {"reference": patient}
    assert dt.datetime.fromisoformat(question["sent"]) == thread["question"].sent_at
    assert answer["payload"] == [{"contentString": ANSWER}]
    assert answer["recipient"] == [{"reference": patient}]
    assert "Care team" in answer["sender"]["display"]
    assert b"CanaryA2" not in response.content


def test_another_patient_downloads_only_their_own_messages(thread: dict[str, Any], client_for: Any) -> None:
    client = client_for("a2")
    rows = list(csv.reader(io.StringIO(client.get(reverse("interop:records_csv")).content.decode())))
    assert [r[4] for r in rows if r[0] == "message"] == [OTHER]
    fhir = client.get(reverse("interop:records_fhir")).content
    assert b"CanaryQ" not in fhir and b"CanaryR" not in fhir
    pdf = _pdf_text(client.get(reverse("interop:records_pdf")).content)
    assert "CanaryA2 message" in pdf and "CanaryQ" not in pdf and "CanaryR" not in pdf
