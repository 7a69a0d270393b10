"""The due list says why each questionnaire is asked in the patient's words: "induction" is the clinic's
term, and "weekly" is true only when the clinic's interval is a week."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.questionnaires.models import QuestionnairePolicy
from ketacare.questionnaires.services import submit_questionnaire
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _due_page(personas: Any, client_for: Any) -> str:
    """The due page a week and a half into the first series, the first answers given after the first dose."""
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    for instrument, items in (("phq9", 9), ("gad7", 7)):
        submit_questionnaire(
            patient=patient,
            instrument_id=instrument,
            answers={f"{instrument}.q{i}": 1 for i in range(1, items + 1)},
            idempotency_key=f"first-{instrument}",
            now=enrolled + dt.timedelta(days=5),
        )
    with time_machine.travel(enrolled + dt.timedelta(days=16), tick=False):
        response = client_for("a1").get(reverse("questionnaires:due"))
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_weekly_questionnaires_are_named_without_clinic_jargon(personas: Any, client_for: Any) -> None:
    page = _due_page(personas, client_for)
    assert "Weekly during your first series of treatments" in page
    assert "induction" not in page.casefold()


def test_a_clinic_that_asks_every_ten_days_is_not_said_to_ask_weekly(personas: Any, client_for: Any) -> None:
    QuestionnairePolicy.objects.create(clinic=personas.clinic_a, induction_interval_days=10)
    page = _due_page(personas, client_for)
    assert "Every 10 days during your first series of treatments" in page
    assert "Weekly" not in page and "induction" not in page.casefold()
