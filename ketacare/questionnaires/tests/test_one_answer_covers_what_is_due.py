"""A questionnaire due several times over (a weekly one missed, the next due) is asked once, and one
answer completes every assignment of it already due (docs/decisions/0025)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.questionnaires.selectors import due_questionnaires
from ketacare.questionnaires.services import submit_questionnaire

pytestmark = pytest.mark.django_db
DUE = QuestionnaireAssignment.State.DUE
COMPLETED = QuestionnaireAssignment.State.COMPLETED


def _phq9_zeros() -> dict[str, int]:
    return {f"phq9.q{i}": 0 for i in range(1, 10)}


def _assign(patient: Any, instrument_id: str, reason: str, due_at: dt.datetime) -> QuestionnaireAssignment:
    return QuestionnaireAssignment.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        instrument_id=instrument_id,
        reason=reason,
        due_at=due_at,
        schedule_key=f"test:{instrument_id}:{reason}:{due_at.isoformat()}",
    )


def _stacked(patient: Any, now: dt.datetime) -> dict[str, QuestionnaireAssignment]:
    """After the first dose, two weekly PHQ-9s and one GAD-7 due; tomorrow's before-session PHQ-9."""
    QuestionnaireAssignment.objects.filter(patient=patient).update(state=COMPLETED, completed_at=now)
    return {
        "after_first": _assign(patient, "phq9", "after_first_dose", now - dt.timedelta(days=14)),
        "week_1": _assign(patient, "phq9", "induction_weekly", now - dt.timedelta(days=7)),
        "week_2": _assign(patient, "phq9", "induction_weekly", now - dt.timedelta(hours=1)),
        "gad7": _assign(patient, "gad7", "induction_weekly", now - dt.timedelta(hours=1)),
        "tomorrow": _assign(patient, "phq9", "before_session", now + dt.timedelta(hours=12)),
    }


def test_one_answer_completes_every_assignment_of_that_questionnaire_already_due(personas: Any) -> None:
    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    rows = _stacked(personas.a1, now)
    outcome = submit_questionnaire(
        patient=personas.a1, instrument_id="phq9", answers=_phq9_zeros(), idempotency_key="k1", now=now
    )
    assert outcome.response.assignment == rows["after_first"]
    for name in ("after_first", "week_1", "week_2"):
        rows[name].refresh_from_db()
        assert (rows[name].state, rows[name].completed_at) == (COMPLETED, now), name
    for name in ("gad7", "tomorrow"):  # another scale, and a slot not yet due
        rows[name].refresh_from_db()
        assert rows[name].state == DUE, name
    assert [(a.instrument_id, a.reason) for a in due_questionnaires(patient=personas.a1, now=now)] == [
        ("gad7", "induction_weekly"),
        ("phq9", "before_session"),
    ]


def test_a_baseline_is_answered_on_its_own(personas: Any) -> None:
    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    baseline = _assign(personas.a1, "phq9", "baseline", now - dt.timedelta(days=30))
    weekly = _assign(personas.a1, "phq9", "induction_weekly", now - dt.timedelta(hours=1))
    outcome = submit_questionnaire(
        patient=personas.a1, instrument_id="phq9", answers=_phq9_zeros(), idempotency_key="k1", now=now
    )
    baseline.refresh_from_db()
    weekly.refresh_from_db()
    assert outcome.response.assignment == baseline and baseline.state == COMPLETED
    assert weekly.state == DUE  # the baseline describes the patient before treatment, not this week


def test_the_home_and_the_due_page_ask_for_each_questionnaire_once(personas: Any, client_for: Any) -> None:
    _stacked(personas.a1, timezone.now())
    client = client_for("a1")
    home = client.get(reverse("companion:home")).content.decode()
    section = re.search(r'id="due-title".*?</section>', home, re.S)
    assert section is not None
    names = re.findall(r">(PHQ-9|GAD-7)<", section.group(0))
    assert sorted(names) == ["GAD-7", "PHQ-9"]
    due_page = client.get(reverse("questionnaires:due")).content.decode()
    listed = re.search(r'<ul class="due-list">.*?</ul>', due_page, re.S)
    assert listed is not None
    assert sorted(re.findall(r">(PHQ-9|GAD-7)<", listed.group(0))) == ["GAD-7", "PHQ-9"]
    # The oldest slot is shown, so a date in the past says it has been waiting, not that it is due then.
    assert listed.group(0).count("waiting since") == 2 and " · due " not in listed.group(0)
