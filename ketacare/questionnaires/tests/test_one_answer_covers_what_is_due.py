"""A questionnaire due several times over (a weekly one missed, the next due) is asked once, and one
answer completes every assignment of it already due (docs/decisions/0025)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.questionnaires.models import QuestionnaireAssignment
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


def _answer(patient: Any, instrument_id: str, *, now: dt.datetime, key: str) -> Any:
    items = {"phq9": 9, "gad7": 7}[instrument_id]
    answers = {f"{instrument_id}.q{i}": 0 for i in range(1, items + 1)}
    return submit_questionnaire(
        patient=patient, instrument_id=instrument_id, answers=answers, idempotency_key=key, now=now
    )


def _sixteen_days_in(patient: Any, *, baselines_answered: bool) -> dt.datetime:
    """The schedule of a patient enrolled, first dosed a day later and answering nothing since, seen
    16 days after enrolment with a session booked for the next day; returns that moment.

    PHQ-9 and GAD-7 (the default policy) are then due the day after the first dose and in each of
    the two weeks since, and again before tomorrow's session (not yet due).
    """
    enrolled = patient.created_at
    if baselines_answered:
        schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
        for instrument_id in ("phq9", "gad7"):
            _answer(
                patient, instrument_id, now=enrolled + dt.timedelta(hours=1), key=f"baseline-{instrument_id}"
            )
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    now = enrolled + dt.timedelta(days=16)
    schedule_questionnaires(patient=patient, now=now)
    schedule_before_session(
        patient=patient,
        session_id="next-session",
        starts_at=now + dt.timedelta(days=1),
        kind="induction",
        now=now,
    )
    return now


def _slots(patient: Any, instrument_id: str) -> dict[str, list[QuestionnaireAssignment]]:
    by_reason: dict[str, list[QuestionnaireAssignment]] = {}
    for row in QuestionnaireAssignment.objects.filter(patient=patient, instrument_id=instrument_id):
        by_reason.setdefault(row.reason, []).append(row)
    return by_reason


def test_one_answer_completes_every_assignment_of_that_questionnaire_already_due(personas: Any) -> None:
    now = _sixteen_days_in(personas.a1, baselines_answered=True)
    phq9 = _slots(personas.a1, "phq9")
    assert [len(phq9[r]) for r in ("after_first_dose", "induction_weekly", "before_session")] == [1, 2, 1]
    outcome = _answer(personas.a1, "phq9", now=now, key="k1")
    for row in phq9["after_first_dose"] + phq9["induction_weekly"]:
        row.refresh_from_db()
        assert (row.state, row.completed_at) == (COMPLETED, now), row.reason
    # Tomorrow's session's slot falls due within a day: the answer stands for it too, and is filed under
    # it, where the run-sheet reads the session's answer.
    phq9["before_session"][0].refresh_from_db()
    assert (phq9["before_session"][0].state, phq9["before_session"][0].completed_at) == (COMPLETED, now)
    assert outcome.response.assignment == phq9["before_session"][0]
    # Another scale stays due.
    gad7 = _slots(personas.a1, "gad7")
    assert {row.state for row in gad7["after_first_dose"] + gad7["induction_weekly"]} == {DUE}
    assert [(a.instrument_id, a.reason) for a in due_questionnaires(patient=personas.a1, now=now)] == [
        ("gad7", "after_first_dose"),
    ]


def test_a_baseline_is_answered_on_its_own(personas: Any) -> None:
    now = _sixteen_days_in(personas.a1, baselines_answered=False)
    phq9 = _slots(personas.a1, "phq9")
    outcome = _answer(personas.a1, "phq9", now=now, key="k1")
    assert outcome.response.assignment == phq9["baseline"][0]
    later = phq9["after_first_dose"] + phq9["induction_weekly"]
    # The baseline describes the patient before treatment, not these weeks: they are still asked.
    assert {QuestionnaireAssignment.objects.get(pk=row.pk).state for row in later} == {DUE}


def test_the_home_and_the_due_page_ask_for_each_questionnaire_once(personas: Any, client_for: Any) -> None:
    now = _sixteen_days_in(personas.a1, baselines_answered=True)
    with time_machine.travel(now, tick=False):
        client = client_for("a1")
        home = client.get(reverse("companion:home")).content.decode()
        due_page = client.get(reverse("questionnaires:due")).content.decode()
    # Each by the name its own page is headed with, on the home page and the due page alike.
    names = (
        r">(Patient Health Questionnaire-9 \(PHQ-9\)|Generalized Anxiety Disorder 7-item scale \(GAD-7\))<"
    )
    expected = [
        "Generalized Anxiety Disorder 7-item scale (GAD-7)",
        "Patient Health Questionnaire-9 (PHQ-9)",
    ]
    section = re.search(r'id="due-title".*?</section>', home, re.S)
    assert section is not None
    assert sorted(re.findall(names, section.group(0))) == expected
    listed = re.search(r'<ul class="due-list">.*?</ul>', due_page, re.S)
    assert listed is not None
    assert sorted(re.findall(names, listed.group(0))) == expected
    # The list of questionnaires open at any time leaves out the two already asked for above.
    any_time = re.search(r'<ul class="any-time-list">.*?</ul>', due_page, re.S)
    assert any_time is not None and "Others you can fill in at any time" in due_page
    assert re.findall(names, any_time.group(0)) == []
    assert "Quick Inventory of Depressive Symptomatology" in any_time.group(0)
    # The oldest slot is shown, so a date in the past says it has been waiting, not that it is due then.
    assert listed.group(0).count("waiting since") == 2 and " · due " not in listed.group(0)


def test_with_nothing_due_every_questionnaire_is_offered_any_time(personas: Any, client_for: Any) -> None:
    # A patient enrolled an hour ago who answered the baselines has nothing due yet.
    enrolled = personas.a1.created_at
    with time_machine.travel(enrolled + dt.timedelta(hours=1), tick=False):
        schedule_questionnaires(patient=personas.a1, now=enrolled + dt.timedelta(hours=1))
        for instrument_id in ("phq9", "gad7"):
            _answer(personas.a1, instrument_id, now=enrolled + dt.timedelta(hours=1), key=instrument_id)
        due_page = client_for("a1").get(reverse("questionnaires:due")).content.decode()
    assert "Nothing is due right now" in due_page
    any_time = re.search(r'<h2>Fill in at any time</h2>\s*<ul class="any-time-list">.*?</ul>', due_page, re.S)
    assert any_time is not None
    assert "Patient Health Questionnaire-9 (PHQ-9)" in any_time.group(0)
    assert "Generalized Anxiety Disorder 7-item scale (GAD-7)" in any_time.group(0)
