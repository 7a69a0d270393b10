"""A slot the schedule lays out after the patient has already answered since it fell due is not
asked again: that answer completes it (docs/decisions/0025)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
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


def _answer(patient: Any, instrument_id: str, *, now: dt.datetime, key: str) -> QuestionnaireResponse:
    items = {"phq9": 9, "gad7": 7}[instrument_id]
    answers = {f"{instrument_id}.q{i}": 1 for i in range(1, items + 1)}
    return submit_questionnaire(
        patient=patient, instrument_id=instrument_id, answers=answers, idempotency_key=key, now=now
    ).response


def _slot(patient: Any, instrument_id: str, reason: str) -> QuestionnaireAssignment:
    return QuestionnaireAssignment.objects.get(patient=patient, instrument_id=instrument_id, reason=reason)


def _weekly(patient: Any, instrument_id: str) -> list[QuestionnaireAssignment]:
    return list(
        QuestionnaireAssignment.objects.filter(
            patient=patient, instrument_id=instrument_id, reason="induction_weekly"
        ).order_by("due_at")
    )


def test_answers_given_before_the_schedule_ran_complete_the_slots_that_were_due_by_then(
    personas: Any, client_for: Any
) -> None:
    # The patient never opened the due page: the schedule is laid out only on the next visit, after
    # the answers of the week since the first dose (as the demo's seeded history is).
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    answered = enrolled + dt.timedelta(days=3)
    responses = {i: _answer(patient, i, now=answered, key=f"week-1-{i}") for i in ("phq9", "gad7")}
    now = enrolled + dt.timedelta(days=16)

    schedule_questionnaires(patient=patient, now=now)

    for instrument_id, response in responses.items():
        after_first = _slot(patient, instrument_id, "after_first_dose")
        assert after_first.due_at < answered
        assert (after_first.state, after_first.completed_at) == (COMPLETED, answered)
        response.refresh_from_db()
        assert response.assignment == after_first
        # The weekly slots fell due more than half a week after that answer: they are still asked.
        weekly = _weekly(patient, instrument_id)
        assert len(weekly) == 2 and all(row.due_at > answered for row in weekly)
        assert {row.state for row in weekly} == {DUE}
    assert [(a.instrument_id, a.reason) for a in due_questionnaires(patient=patient, now=now)] == [
        ("phq9", "induction_weekly"),
        ("gad7", "induction_weekly"),
    ]
    with time_machine.travel(now, tick=False):
        due_page = client_for("a1").get(reverse("questionnaires:due")).content.decode()
    assert "After your first session" not in due_page
    assert "Weekly during your first series of treatments" in due_page


def test_each_slot_is_completed_by_the_first_answer_since_it_fell_due(personas: Any) -> None:
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    first_week = _weekly_due_times(patient, enrolled, count=1)[0]
    early = _answer(patient, "phq9", now=enrolled + dt.timedelta(days=4), key="early")
    late = _answer(patient, "phq9", now=first_week + dt.timedelta(hours=2), key="late")
    now = first_week + dt.timedelta(days=1)

    schedule_questionnaires(patient=patient, now=now)

    after_first = _slot(patient, "phq9", "after_first_dose")
    [weekly] = _weekly(patient, "phq9")
    assert (after_first.state, after_first.completed_at) == (COMPLETED, early.submitted_at)
    assert (weekly.state, weekly.completed_at) == (COMPLETED, late.submitted_at)
    assert list(after_first.responses.all()) == [early]
    assert list(weekly.responses.all()) == [late]
    assert [a.instrument_id for a in due_questionnaires(patient=patient, now=now)] == ["gad7"]


def test_an_answer_before_a_slot_fell_due_leaves_it_due(personas: Any) -> None:
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    # Answered an hour after the dose: the day-after slot falls due 23 hours later.
    _answer(patient, "phq9", now=enrolled + dt.timedelta(days=1, hours=1), key="k1")
    now = enrolled + dt.timedelta(days=3)

    schedule_questionnaires(patient=patient, now=now)

    assert _slot(patient, "phq9", "after_first_dose").state == DUE


def test_an_answer_marked_entered_in_error_completes_nothing(personas: Any) -> None:
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    response = _answer(patient, "phq9", now=enrolled + dt.timedelta(days=3), key="k1")
    QuestionnaireResponse.objects.filter(pk=response.pk).update(
        status=QuestionnaireResponse.Status.ENTERED_IN_ERROR
    )

    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(days=4))

    assert _slot(patient, "phq9", "after_first_dose").state == DUE


def test_an_answer_filed_under_a_baseline_completes_no_later_slot(personas: Any) -> None:
    # The baseline is answered late, after the first dose's day-after slot fell due but before that
    # slot was laid out: a baseline describes the patient before treatment, so the slot is still asked.
    patient = personas.a1
    enrolled = patient.created_at
    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    answered = enrolled + dt.timedelta(days=3)
    baseline = _answer(patient, "phq9", now=answered, key="baseline")
    assert baseline.assignment == _slot(patient, "phq9", "baseline")

    schedule_questionnaires(patient=patient, now=answered + dt.timedelta(hours=1))

    assert _slot(patient, "phq9", "after_first_dose").state == DUE


def test_a_before_session_slot_laid_out_at_check_in_is_completed_by_that_days_answer(personas: Any) -> None:
    # The patient answered on the session's morning; check-in lays out the before-session slot,
    # due since the start of that local day, afterwards.
    patient = personas.a1
    zone = ZoneInfo(patient.time_zone)
    enrolled = patient.created_at
    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
    _answer(patient, "phq9", now=enrolled + dt.timedelta(hours=1), key="baseline")
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    session_day = (enrolled + dt.timedelta(days=4)).astimezone(zone).date()
    morning = dt.datetime.combine(session_day, dt.time(8), tzinfo=zone)
    schedule_questionnaires(patient=patient, now=morning)
    answered = _answer(patient, "phq9", now=morning, key="morning")
    assert answered.assignment == _slot(patient, "phq9", "after_first_dose")
    check_in = morning + dt.timedelta(hours=2)

    schedule_before_session(
        patient=patient, session_id="s2", starts_at=check_in, kind="induction", now=check_in
    )

    before = _slot(patient, "phq9", "before_session")
    assert (before.state, before.completed_at) == (COMPLETED, answered.submitted_at)
    assert _slot(patient, "gad7", "before_session").state == DUE


def _weekly_due_times(patient: Any, enrolled: dt.datetime, *, count: int) -> list[dt.datetime]:
    # The default policy: weekly at 18:00 local, counted in days from the first dose's local date.
    zone = ZoneInfo(patient.time_zone)
    anchor = (enrolled + dt.timedelta(days=1)).astimezone(zone).date()
    return [
        dt.datetime.combine(anchor + dt.timedelta(days=7 * n), dt.time(18), tzinfo=zone).astimezone(dt.UTC)
        for n in range(1, count + 1)
    ]


def test_in_the_demo_no_slot_waits_for_a_questionnaire_answered_since_it_fell_due(demo: Any) -> None:
    # The demo's history is seeded through the services before any schedule run, as a patient who
    # answers before their next visit would have it; the first visit then lays the schedule out.
    for patient in Patient.objects.filter(stage__in=["screening", "induction", "maintenance"]):
        schedule_questionnaires(patient=patient, now=demo.now)
    waiting = QuestionnaireAssignment.objects.filter(state=DUE, due_at__lte=demo.now).exclude(
        reason=QuestionnaireAssignment.Reason.BASELINE
    )
    answered_since = [
        (slot.patient_id, slot.instrument_id, slot.reason, f"{slot.due_at:%Y-%m-%d}")
        for slot in waiting
        if QuestionnaireResponse.objects.filter(
            patient_id=slot.patient_id,
            instrument_id=slot.instrument_id,
            status=QuestionnaireResponse.Status.VALID,
            submitted_at__gte=slot.due_at,
            submitted_at__lte=demo.now,
        ).exists()
    ]
    assert answered_since == []
    # Seeded answers do complete slots: the check above is not vacuous.
    assert QuestionnaireAssignment.objects.filter(reason="after_first_dose", state=COMPLETED).exists()


def test_a_slot_laid_out_while_an_answer_came_in_is_completed_on_the_next_run(personas: Any) -> None:
    # The worker's run read its clock a minute before the patient's answer came in, and laid the
    # day-after slot out after it: that run does not count an answer from after its clock.
    patient = personas.a1
    enrolled = patient.created_at
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    worker_clock = enrolled + dt.timedelta(days=3)
    response = _answer(patient, "phq9", now=worker_clock + dt.timedelta(minutes=1), key="k1")
    schedule_questionnaires(patient=patient, now=worker_clock)
    assert _slot(patient, "phq9", "after_first_dose").state == DUE

    schedule_questionnaires(patient=patient, now=worker_clock + dt.timedelta(hours=1))

    after_first = _slot(patient, "phq9", "after_first_dose")
    assert (after_first.state, after_first.completed_at) == (COMPLETED, response.submitted_at)
    response.refresh_from_db()
    assert response.assignment == after_first


def test_an_answer_the_clinic_filed_under_one_slot_leaves_the_others_due(personas: Any) -> None:
    # At the chair the answer is filed under the session's own slot, and completes that one only,
    # however often the schedule runs afterwards.
    patient = personas.a1
    enrolled = patient.created_at
    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
    _answer(patient, "phq9", now=enrolled + dt.timedelta(hours=1), key="baseline")
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    now = enrolled + dt.timedelta(days=4)
    schedule_questionnaires(patient=patient, now=now)
    schedule_before_session(patient=patient, session_id="s2", starts_at=now, kind="induction", now=now)
    before = _slot(patient, "phq9", "before_session")
    items = {f"phq9.q{i}": 1 for i in range(1, 10)}
    submit_questionnaire(
        patient=patient,
        instrument_id="phq9",
        answers=items,
        idempotency_key="chair",
        now=now,
        assignment=before,
    )

    schedule_questionnaires(patient=patient, now=now + dt.timedelta(hours=1))

    assert _slot(patient, "phq9", "before_session").state == COMPLETED
    assert _slot(patient, "phq9", "after_first_dose").state == DUE
