"""The care team records a patient's message as a check-in (docs/decisions/0020), through HTTP: the
symptoms they tick are triaged like the patient's own, the check-in's note says it came from the
message and who recorded it, and a message is recorded once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.messaging.models import Message
from ketacare.messaging.services import reply_to_patient, send_patient_message

pytestmark = pytest.mark.django_db
# 14:00 in New York (Clinic A's zone).
AFTERNOON = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)


def _message(patient: Any, body: str = "Since this morning I feel sick and a bit dizzy.") -> Message:
    return send_patient_message(patient=patient, body=body, idempotency_key=body[:60], now=AFTERNOON).message


def _url(message: Message) -> str:
    return reverse(
        "support:message_checkin",
        kwargs={"patient_id": str(message.patient.public_id), "message_id": str(message.public_id)},
    )


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_a_clinician_records_a_message_as_a_check_in_marked_as_from_it(
    personas: Any, client_for: Any
) -> None:
    message = _message(personas.a1)
    clinician = client_for("clinician_a")
    thread = clinician.get(
        reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    assert _url(message) in thread.content.decode() and "Record as check-in" in thread.content.decode()
    page = clinician.get(_url(message))
    assert page.status_code == 200 and "feel sick and a bit dizzy" in page.content.decode()

    response = clinician.post(
        _url(message),
        {"symptom": ["nausea", "dizziness"], "severity_nausea": "moderate", "severity_dizziness": "mild"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)}
    )
    checkin = SymptomCheckin.objects.get(patient=personas.a1)
    assert checkin.submitted_at == timezone.now(), "dated when it was recorded"
    assert checkin.note == (
        f"Recorded by {personas.clinician_a.full_name} (care team) from the patient's message of "
        "2 Mar 2026 14:00: “Since this morning I feel sick and a bit dizzy.”"
    )
    assert sorted((d["symptom_id"], d["severity"]) for d in checkin.triage_result["details"]) == [
        ("dizziness", "mild"),
        ("nausea", "moderate"),
    ]
    message.refresh_from_db()
    assert message.checkin_public_id == checkin.public_id
    listing = clinician.get(response["Location"]).content.decode()
    assert "from the patient&#x27;s message of 2 Mar 2026 14:00" in listing
    thread = clinician.get(
        reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    assert "Recorded as a check-in" in thread.content.decode()


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_a_red_flag_ticked_from_a_message_raises_its_alert(personas: Any, client_for: Any) -> None:
    message = _message(personas.a1, "My chest has felt tight since lunch.")
    response = client_for("clinician_a").post(_url(message), {"symptom": "chest_pain"})
    assert response.status_code == 302
    checkin = SymptomCheckin.objects.get(patient=personas.a1)
    alert = Alert.objects.get(patient=personas.a1, source=Alert.Source.RED_FLAG_CHECKIN)
    assert checkin.triage_level in ("urgent", "emergency") and alert.severity == checkin.triage_level


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_a_message_is_recorded_once(personas: Any, client_for: Any) -> None:
    message = _message(personas.a1)
    clinician = client_for("clinician_a")
    assert clinician.post(_url(message), {"symptom": "nausea"}).status_code == 302
    again = clinician.post(_url(message), {"symptom": "headache"})
    assert again.status_code == 400 and "already recorded as a check-in" in again.content.decode()
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 1
    assert "already recorded as a check-in" in clinician.get(_url(message)).content.decode()


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_bad_input_is_refused_by_field_and_writes_nothing(personas: Any, client_for: Any) -> None:
    message = _message(personas.a1)
    clinician = client_for("clinician_a")
    empty = clinician.post(_url(message), {})
    assert empty.status_code == 400 and "tick at least one symptom" in empty.content.decode()
    unknown = clinician.post(_url(message), {"symptom": "feeling_blue"})
    assert unknown.status_code == 400 and "unknown symptom id" in unknown.content.decode()
    strength = clinician.post(_url(message), {"symptom": "nausea", "severity_nausea": "extreme"})
    assert strength.status_code == 400 and "allowed mild, moderate, severe" in strength.content.decode()
    assert not SymptomCheckin.objects.exists()
    message.refresh_from_db()
    assert message.checkin_public_id is None


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_only_a_patients_own_message_of_this_patient_can_be_recorded(personas: Any, client_for: Any) -> None:
    answer = reply_to_patient(
        patient=personas.a1,
        user=personas.clinician_a,
        body="Rest today.",
        idempotency_key="r1",
        now=AFTERNOON,
    )
    clinician = client_for("clinician_a")
    assert clinician.post(_url(answer), {"symptom": "nausea"}).status_code == 404
    other_patients = reverse(
        "support:message_checkin",
        kwargs={"patient_id": str(personas.a2.public_id), "message_id": str(_message(personas.a1).public_id)},
    )
    assert clinician.post(other_patients, {"symptom": "nausea"}).status_code == 404
    assert not SymptomCheckin.objects.exists()


@time_machine.travel(AFTERNOON + dt.timedelta(hours=1), tick=False)
def test_the_patients_open_symptoms_start_ticked(personas: Any, client_for: Any) -> None:
    submit_checkin(
        patient=personas.a1,
        idempotency_key="earlier",
        reports=[ReportIn("headache", "moderate")],
        mood=None,
        note="",
        now=AFTERNOON - dt.timedelta(hours=2),
    )
    page = client_for("clinician_a").get(_url(_message(personas.a1))).content.decode()
    assert 'value="headache" checked' in page and 'value="nausea" checked' not in page
    assert '<option value="moderate" selected>' in page
