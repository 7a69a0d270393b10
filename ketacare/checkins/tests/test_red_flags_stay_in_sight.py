"""A red flag the patient has not said is gone stays in sight: on the home page, and on the answer to a
later check-in that reassures them about something else."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, answer_episode, submit_checkin
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _still_open(page: str) -> str:
    block = re.search(r'<section class="emergency-screen still-open".*?</section>', page, re.S)
    return block.group(0) if block else ""


def _report(patient: Any, key: str, symptom_id: str, now: dt.datetime) -> None:
    submit_checkin(
        patient=patient, idempotency_key=key, reports=[ReportIn(symptom_id)], mood=5, note="", now=now
    )


def test_the_home_page_keeps_an_open_emergency_red_flag_and_what_to_do(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(hours=6))
    _report(personas.a1, "chest", "chest_pain", now - dt.timedelta(hours=1))
    home = client_for("a1").get(reverse("companion:home")).content.decode()
    block = _still_open(home)
    assert "Chest pain" in block and 'data-emergency="1"' in block
    assert kb.knowledge().red_flags["chest_pain"].patient_message in block
    assert f"tel:{personas.clinic_a.emergency_number}" in block
    # Above everything that reassures: before the patient's state and the timeline of what is normal.
    assert home.index("still-open") < home.index('id="state-title"')


def test_a_later_reassuring_check_in_repeats_the_open_red_flag(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(hours=2))
    _report(personas.a1, "bladder", "urinary_symptoms", now - dt.timedelta(hours=1))
    client = client_for("a1")
    answer = client.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": "nausea",
            "action": "submit",
            "mood": "6",
            "symptom": "nausea",
            "severity_nausea": "mild",
        },
        follow=True,
    ).content.decode()
    block = _still_open(answer)
    assert "Pain or blood when passing urine" in block and "data-emergency" not in block
    assert kb.knowledge().red_flags["urinary_symptoms"].patient_message in block
    assert "It has gone: tell us" in block
    # Nausea two hours after the dose is still answered as what it is: expected.
    assert 'class="answer answer-expected" role="status" data-level="expected"' in answer


def test_the_red_flag_ticked_again_is_answered_by_its_own_screen_not_repeated(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(hours=20))
    _report(personas.a1, "bladder", "urinary_symptoms", now - dt.timedelta(hours=2))
    answer = (
        client_for("a1")
        .post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": "again",
                "action": "submit",
                "mood": "6",
                "symptom": "urinary_symptoms",
                "severity_urinary_symptoms": "moderate",
            },
            follow=True,
        )
        .content.decode()
    )
    assert "emergency-screen" in answer and _still_open(answer) == ""


def test_once_the_patient_says_it_is_gone_the_home_page_lets_it_go(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(hours=6))
    _report(personas.a1, "chest", "chest_pain", now - dt.timedelta(hours=1))
    episode = SymptomReport.objects.get(symptom_id="chest_pain")
    answer_episode(patient=personas.a1, episode_id=str(episode.public_id), gone=True, now=now)
    home = client_for("a1").get(reverse("companion:home")).content.decode()
    assert _still_open(home) == ""
