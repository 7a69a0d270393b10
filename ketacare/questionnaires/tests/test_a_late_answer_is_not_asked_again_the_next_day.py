"""A scale answered late is not asked again a day later: an answer completes each slot of its scale
falling due within half that slot's interval after it (docs/decisions/0025)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.questionnaires.schedule import PolicyValues, answer_window
from ketacare.questionnaires.selectors import due_questionnaires
from ketacare.questionnaires.services import (
    schedule_before_session,
    schedule_questionnaires,
    submit_questionnaire,
)
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db
DUE = QuestionnaireAssignment.State.DUE
COMPLETED = QuestionnaireAssignment.State.COMPLETED
ITEMS = {"phq9": 9, "gad7": 7}
NAMES = {
    "phq9": "Patient Health Questionnaire-9 (PHQ-9)",
    "gad7": "Generalized Anxiety Disorder 7-item scale (GAD-7)",
}


def _answer(patient: Any, instrument_id: str, *, now: dt.datetime, key: str) -> QuestionnaireResponse:
    answers = {f"{instrument_id}.q{i}": 1 for i in range(1, ITEMS[instrument_id] + 1)}
    return submit_questionnaire(
        patient=patient, instrument_id=instrument_id, answers=answers, idempotency_key=key, now=now
    ).response


def _first_dosed(patient: Any, *, baselines_answered: bool = True) -> list[dt.datetime]:
    """Baselines laid out at enrolment (answered then, unless told), the first dose a day later;
    returns the due times of the first two weekly slots (18:00 local, the default policy)."""
    enrolled = patient.created_at
    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
    if baselines_answered:
        for instrument_id in ITEMS:
            _answer(
                patient, instrument_id, now=enrolled + dt.timedelta(hours=1), key=f"baseline-{instrument_id}"
            )
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    zone = ZoneInfo(patient.time_zone)
    anchor = (enrolled + dt.timedelta(days=1)).astimezone(zone).date()
    return [
        dt.datetime.combine(anchor + dt.timedelta(days=7 * n), dt.time(18), tzinfo=zone).astimezone(dt.UTC)
        for n in (1, 2)
    ]


def _slot(patient: Any, instrument_id: str, reason: str, due_at: dt.datetime | None = None) -> Any:
    rows = QuestionnaireAssignment.objects.filter(patient=patient, instrument_id=instrument_id, reason=reason)
    return rows.get(due_at=due_at) if due_at is not None else rows.get()


def _listed(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found is not None, pattern
    return found.group(0)


def test_the_day_after_a_late_answer_the_patient_is_not_asked_the_same_scales_again(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    week_1, week_2 = _first_dosed(patient)
    with time_machine.travel(week_1 + dt.timedelta(hours=1), tick=False):
        due_page = client_for("a1").get(reverse("questionnaires:due")).content.decode()
    assert all(name in _listed(due_page, r'<ul class="due-list">.*?</ul>') for name in NAMES.values())
    # Six days late, the day before week 2 falls due; nobody opens the list in between, so
    # week 2 is laid out only on the next visit, after the answers.
    late = week_2 - dt.timedelta(hours=26)
    with time_machine.travel(late, tick=False):
        client = client_for("a1")
        for instrument_id, items in ITEMS.items():
            posted = client.post(
                reverse("questionnaires:fill", kwargs={"instrument": instrument_id}),
                {
                    "idempotency_key": uuid.uuid4().hex,
                    **{f"{instrument_id}.q{i}": "1" for i in range(1, items + 1)},
                },
            )
            assert posted.status_code == 303

    next_day = week_2 + dt.timedelta(hours=1)
    with time_machine.travel(next_day, tick=False):
        client = client_for("a1")
        due_page = client.get(reverse("questionnaires:due")).content.decode()
        home = client.get(reverse("companion:home")).content.decode()

    assert "Nothing is due right now" in due_page
    section = _listed(home, r'id="due-title".*?</section>')
    assert "Nothing due." in section and not any(name in section for name in NAMES.values())
    for instrument_id in ITEMS:
        answer = QuestionnaireResponse.objects.get(
            patient=patient, instrument_id=instrument_id, submitted_at=late
        )
        for due_at in (week_1, week_2):
            slot = _slot(patient, instrument_id, "induction_weekly", due_at)
            assert (slot.state, slot.completed_at) == (COMPLETED, answer.submitted_at)


def test_a_late_answer_completes_the_next_slot_already_laid_out_when_it_falls_due_within_half_a_week(
    personas: Any,
) -> None:
    patient = personas.a1
    week_1, week_2 = _first_dosed(patient)
    # The worker's run on the eve of week 2 lays it out, a day ahead; the answer comes an hour later.
    schedule_questionnaires(patient=patient, now=week_2 - dt.timedelta(hours=20))
    answered = week_2 - dt.timedelta(hours=19)

    response = _answer(patient, "phq9", now=answered, key="late")

    assert response.assignment == _slot(patient, "phq9", "after_first_dose")
    for due_at in (week_1, week_2):
        slot = _slot(patient, "phq9", "induction_weekly", due_at)
        assert (slot.state, slot.completed_at) == (COMPLETED, answered)
    after = week_2 + dt.timedelta(hours=1)
    schedule_questionnaires(patient=patient, now=after)
    assert [a.instrument_id for a in due_questionnaires(patient=patient, now=after)] == ["gad7"]


def test_an_answer_more_than_half_a_week_before_the_next_slot_leaves_it_asked(personas: Any) -> None:
    patient = personas.a1
    week_1, week_2 = _first_dosed(patient)
    # Two days after week 1 fell due, five before week 2: the answer stands for week 1 only.
    answered = week_2 - dt.timedelta(days=5)
    _answer(patient, "phq9", now=answered, key="late")

    schedule_questionnaires(patient=patient, now=week_2 + dt.timedelta(hours=1))

    first = _slot(patient, "phq9", "induction_weekly", week_1)
    assert (first.state, first.completed_at) == (COMPLETED, answered)
    assert _slot(patient, "phq9", "induction_weekly", week_2).state == DUE


def test_a_late_baseline_answer_completes_no_slot_falling_due_soon_after(personas: Any) -> None:
    # The baselines were never answered before the first dose. A baseline answer describes the patient
    # before treatment: however close the next slots fall due, they are still asked.
    patient = personas.a1
    week_1, _ = _first_dosed(patient, baselines_answered=False)
    gad7 = _answer(patient, "gad7", now=week_1 - dt.timedelta(hours=30), key="gad7-baseline")
    # Week 1 is laid out after the GAD-7 baseline answer, a day ahead, before the PHQ-9 one.
    schedule_questionnaires(patient=patient, now=week_1 - dt.timedelta(hours=20))
    phq9 = _answer(patient, "phq9", now=week_1 - dt.timedelta(hours=19), key="phq9-baseline")

    assert (gad7.assignment.reason, phq9.assignment.reason) == ("baseline", "baseline")
    schedule_questionnaires(patient=patient, now=week_1 + dt.timedelta(hours=1))
    for instrument_id in ITEMS:
        assert _slot(patient, instrument_id, "after_first_dose").state == DUE
        assert _slot(patient, instrument_id, "induction_weekly", week_1).state == DUE


def test_an_answer_given_for_one_session_does_not_stand_for_the_next_days_session(personas: Any) -> None:
    # Sessions on consecutive days: each has its own pre-dose answer, filed under its own slot.
    patient = personas.a1
    zone = ZoneInfo(patient.time_zone)
    _first_dosed(patient)
    day = (patient.created_at + dt.timedelta(days=4)).astimezone(zone).date()
    morning = dt.datetime.combine(day, dt.time(7), tzinfo=zone)
    for number, session_day in enumerate((day, day + dt.timedelta(days=1)), start=1):
        schedule_before_session(
            patient=patient,
            session_id=f"s{number}",
            starts_at=dt.datetime.combine(session_day, dt.time(10), tzinfo=zone),
            kind="induction",
            now=morning,
        )
    first, second = QuestionnaireAssignment.objects.filter(
        patient=patient, instrument_id="phq9", reason="before_session"
    ).order_by("due_at")

    response = _answer(patient, "phq9", now=morning + dt.timedelta(hours=1), key="morning")

    first.refresh_from_db()
    second.refresh_from_db()
    assert response.assignment == first and first.state == COMPLETED
    assert second.state == DUE


def test_the_answer_window_is_half_each_slots_interval_and_a_day_before_a_session() -> None:
    policy = PolicyValues(("phq9",), True, 24, 7, 14, 18, True)
    assert answer_window("induction_weekly", policy) == dt.timedelta(days=3, hours=12)
    assert answer_window("maintenance", policy) == dt.timedelta(days=7)
    assert answer_window("after_first_dose", policy) == dt.timedelta(hours=12)
    assert answer_window("daily_mood", policy) == dt.timedelta(hours=12)
    assert answer_window("before_session", policy) == dt.timedelta(days=1)
    assert answer_window("baseline", policy) is None
    # The clinic's own intervals.
    clinic = PolicyValues(("phq9",), True, 48, 4, 28, 18, False)
    assert answer_window("induction_weekly", clinic) == dt.timedelta(days=2)
    assert answer_window("maintenance", clinic) == dt.timedelta(days=14)
    assert answer_window("after_first_dose", clinic) == dt.timedelta(hours=24)
