"""A baseline the clinic took at intake is the baseline: the patient's app does not ask it again.

The nurse fills the PHQ-9 (item 9 included) with the patient at intake; the same questions the same
day at home add nothing (docs/decisions/0030). Intake and questionnaires are sibling record apps, so
the test that drives both lives here.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.intake.models import BaselineScore
from ketacare.intake.tests.conftest import intake_url
from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.questionnaires.services import send_due_reminders
from ketacare.vigilance.scheduled import raise_missed_questionnaire_alerts

pytestmark = pytest.mark.django_db

PHQ9 = {"instrument": "phq9", **{f"phq9-phq9.q{n}": "2" for n in range(1, 10)}}


def _text(response: Any) -> str:
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _due_now(client: Any) -> str:
    """The "Due now" list of the patient's questionnaires page, as words."""
    page = client.get(reverse("questionnaires:due")).content.decode()
    listed = re.search(r'<ul class="due-list">(.*?)</ul>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", listed.group(1) if listed else "")).split())


def _home_due(client: Any) -> str:
    """The patient home's "Questionnaires due" card, as words."""
    page = _text(client.get("/me/"))
    return page.split("Questionnaires due", 1)[1][:200]


def _enter_intake_phq9(personas: Any, client_for: Any) -> None:
    response = client_for("clinician_a").post(
        intake_url("baseline", personas.a1), PHQ9, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and BaselineScore.objects.filter(patient=personas.a1).exists()


def test_a_phq9_taken_at_intake_is_not_asked_at_home(personas: Any, client_for: Any) -> None:
    _enter_intake_phq9(personas, client_for)
    patient = client_for("a1")
    due = _due_now(patient)
    assert "GAD-7" in due  # no GAD-7 at intake: still asked
    assert "PHQ-9" not in due
    home = _home_due(patient)
    assert "GAD-7" in home and "PHQ-9" not in home
    assert not QuestionnaireAssignment.objects.filter(
        patient=personas.a1, instrument_id="phq9", state="due"
    ).exists()


def test_without_an_intake_baseline_the_phq9_baseline_is_asked_at_home(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    due = _due_now(patient)
    assert "PHQ-9" in due and "Before your treatment starts" in due
    assert "PHQ-9" in _home_due(patient)


def test_a_baseline_already_sent_stops_being_due_when_the_clinic_takes_it_at_intake(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    assert "PHQ-9" in _due_now(patient)
    sent = QuestionnaireAssignment.objects.get(patient=personas.a1, schedule_key="baseline:phq9")
    assert sent.state == "due"
    staff_page = _text(client_for("clinician_a").get(intake_url("page", personas.a1)))
    assert "Sent to the patient's app: PHQ-9" in staff_page
    _enter_intake_phq9(personas, client_for)
    # Before any scheduling run: neither the home nor the staff page says it is waiting.
    assert "PHQ-9" not in _home_due(patient)
    staff_page = _text(client_for("clinician_a").get(intake_url("page", personas.a1)))
    assert "Sent to the patient's app: PHQ-9" not in staff_page
    # The next scheduling run closes the slot at the intake score's time; no answer is filed under it.
    assert "PHQ-9" not in _due_now(patient)
    sent.refresh_from_db()
    taken = BaselineScore.objects.get(patient=personas.a1)
    assert (sent.state, sent.completed_at) == ("completed", taken.completed_at)
    assert not sent.responses.exists()


def test_a_slot_the_intake_baseline_covers_is_neither_reminded_nor_missed(
    personas: Any, client_for: Any
) -> None:
    client_for("a1").get(reverse("questionnaires:due"))  # lays out the PHQ-9 and GAD-7 baselines
    QuestionnaireAssignment.objects.filter(patient=personas.a1, instrument_id="gad7").update(
        state="cancelled"
    )
    _enter_intake_phq9(personas, client_for)
    later = timezone.now() + dt.timedelta(days=3)
    # Neither the reminder nor the missed-questionnaire alert waits for a scheduling run to close it.
    send_due_reminders(now=later)
    assert not QuestionnaireAssignment.objects.filter(patient=personas.a1, reminded_at__isnull=False).exists()
    raise_missed_questionnaire_alerts(now=later)
    assert not Alert.objects.filter(patient=personas.a1, source="missed_checkin").exists()
    with time_machine.travel(later, tick=False):
        call_command("send_reminders")
    sent = QuestionnaireAssignment.objects.get(patient=personas.a1, schedule_key="baseline:phq9")
    assert (sent.state, sent.reminded_at) == ("completed", None)


def test_an_intake_baseline_entered_in_error_leaves_the_baseline_to_the_patient(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    patient.get(reverse("questionnaires:due"))
    _enter_intake_phq9(personas, client_for)
    assert "PHQ-9" not in _due_now(patient)
    taken = BaselineScore.objects.get(patient=personas.a1)
    response = client_for("clinician_a").post(
        intake_url("entered_in_error", personas.a1),
        {"kind": "baseline", "record": str(taken.public_id), "reason": "wrong patient"},
    )
    assert response.status_code == 302
    assert "PHQ-9" in _due_now(patient)
    sent = QuestionnaireAssignment.objects.get(patient=personas.a1, schedule_key="baseline:phq9")
    assert (sent.state, sent.completed_at) == ("due", None)
