"""An answer given the day before a session stands for that session's questionnaire: the run-sheet
shows it completed, when and where; a slot completed this way raises no missed-questionnaire alert;
an answer the clinic entered for one named slot completes no other (docs/decisions/0025)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.questionnaires.services import schedule_questionnaires, submit_questionnaire
from ketacare.vigilance.scheduled import raise_missed_questionnaire_alerts
from tests.support.checkins import make_dose
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db
ITEMS = {"phq9": 9, "gad7": 7}


def _answer(patient: Any, instrument_id: str, *, now: dt.datetime, key: str) -> QuestionnaireResponse:
    answers = {f"{instrument_id}.q{i}": 1 for i in range(1, ITEMS[instrument_id] + 1)}
    return submit_questionnaire(
        patient=patient, instrument_id=instrument_id, answers=answers, idempotency_key=key, now=now
    ).response


def _baselines_done(patient: Any) -> None:
    # The baseline questionnaires were answered at screening, days ago.
    for instrument_id in ITEMS:
        _answer(
            patient,
            instrument_id,
            now=timezone.now() - dt.timedelta(days=10),
            key=f"baseline-{instrument_id}",
        )


def _start_of_today(patient: Any) -> dt.datetime:
    # A before-session slot falls due at the start of the session's day in the patient's zone.
    zone = ZoneInfo(patient.time_zone)
    return dt.datetime.combine(timezone.now().astimezone(zone).date(), dt.time(0), tzinfo=zone)


def _check_in(client: Any, session: Any) -> None:
    response = client.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert response.status_code == 302


def _before_session(session: Any, instrument_id: str) -> QuestionnaireAssignment:
    return QuestionnaireAssignment.objects.get(
        patient=session.patient,
        instrument_id=instrument_id,
        reason="before_session",
        schedule_key__contains=str(session.appointment.public_id),
    )


def _sheet(client: Any, session: Any) -> str:
    return client.get(
        reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
    ).content.decode()


def _completed_words(session: Any, answered: dt.datetime) -> str:
    # The run-sheet's time on the clinic's clock, with its date since it is not today's.
    local = answered.astimezone(ZoneInfo(session.clinic.time_zone))
    return f"completed at {local:%a} {local.day} {local:%b}, {local:%H:%M}</span> (on the patient's phone)"


def test_check_in_shows_the_questionnaire_answered_at_home_the_evening_before_as_completed(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    _baselines_done(patient)
    make_dose(patient, started_at=timezone.now() - dt.timedelta(days=5))
    today = _start_of_today(patient)
    # The day-after slot of the last dose waits; the patient answers the PHQ-9 at home the evening
    # before today's session, whose slot nobody has laid out yet (it is laid out at check-in).
    schedule_questionnaires(patient=patient, now=today - dt.timedelta(hours=25))
    answered = today - dt.timedelta(hours=4)
    response = _answer(patient, "phq9", now=answered, key="evening")
    assert response.assignment.reason == "after_first_dose"
    nurse = client_for("clinician_a")
    session = make_planned_session(patient)

    _check_in(nurse, session)

    slot = _before_session(session, "phq9")
    assert (slot.state, slot.completed_at) == ("completed", answered)
    body = _sheet(nurse, session)
    assert _completed_words(session, answered) in body
    assert "score <strong>9</strong>" in body
    assert body.count('<span class="pdq-state">due</span>') == 1  # GAD-7 was not answered
    assert '<span class="pdq-state">cancelled</span>' not in body


def test_an_answer_the_evening_before_completes_the_sessions_slot_laid_out_already(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    _baselines_done(patient)
    make_dose(patient, started_at=timezone.now() - dt.timedelta(days=5))
    session = make_planned_session(patient)
    today = _start_of_today(patient)
    # The worker's run yesterday evening laid out today's session's slots, a day ahead.
    schedule_questionnaires(patient=patient, now=today - dt.timedelta(hours=5))
    answered = today - dt.timedelta(hours=4)

    response = _answer(patient, "phq9", now=answered, key="evening")

    slot = _before_session(session, "phq9")
    assert (slot.state, slot.completed_at) == ("completed", answered)
    assert response.assignment == slot
    nurse = client_for("clinician_a")
    _check_in(nurse, session)
    assert _completed_words(session, answered) in _sheet(nurse, session)


def test_a_slot_completed_by_the_answer_the_day_before_raises_no_missed_questionnaire_alert(
    personas: Any,
) -> None:
    patient = personas.a1
    enrolled = patient.created_at
    schedule_questionnaires(patient=patient, now=enrolled + dt.timedelta(hours=1))
    for instrument_id in ITEMS:
        _answer(patient, instrument_id, now=enrolled + dt.timedelta(hours=1), key=f"baseline-{instrument_id}")
    make_dose(patient, started_at=enrolled + dt.timedelta(days=1))
    zone = ZoneInfo(patient.time_zone)
    anchor = (enrolled + dt.timedelta(days=1)).astimezone(zone).date()
    week_2 = dt.datetime.combine(anchor + dt.timedelta(days=14), dt.time(18), tzinfo=zone).astimezone(dt.UTC)
    # Week 1 answered six days late, the day before week 2 falls due; week 2 is laid out afterwards.
    late = week_2 - dt.timedelta(hours=26)
    for instrument_id in ITEMS:
        _answer(patient, instrument_id, now=late, key=f"late-{instrument_id}")
    schedule_questionnaires(patient=patient, now=week_2 + dt.timedelta(hours=1))
    week_2_slots = QuestionnaireAssignment.objects.filter(patient=patient, due_at=week_2)
    assert week_2_slots.count() == 2

    raised = raise_missed_questionnaire_alerts(now=week_2 + dt.timedelta(hours=49))

    assert [alert for alert in raised if alert.patient_id == patient.pk] == []
    assert not Alert.objects.filter(
        dedupe_key__in=[f"missed_questionnaire:{slot.public_id}" for slot in week_2_slots]
    ).exists()


def test_an_answer_entered_at_the_chair_for_this_session_completes_no_other_slot(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    _baselines_done(patient)
    nurse = client_for("clinician_a")
    session = make_planned_session(patient)
    _check_in(nurse, session)
    dosed = timezone.now() - dt.timedelta(days=6)
    make_dose(patient, started_at=dosed)
    answers = {f"phq9.q{i}": "1" for i in range(1, 10)}
    entered = nurse.post(
        reverse(
            "treatments:pre_dose_questionnaire",
            kwargs={
                "session_id": session.public_id,
                "assignment_id": _before_session(session, "phq9").public_id,
            },
        ),
        {"idempotency_key": "chair", **answers},
    )
    assert entered.status_code == 302
    # The day-after slot of the earlier dose (due days ago) and the first weekly one (due tomorrow
    # evening) are laid out after the chair's answer: the clinic filed it under this session only.
    zone = ZoneInfo(patient.time_zone)
    week_1 = dt.datetime.combine(
        dosed.astimezone(zone).date() + dt.timedelta(days=7), dt.time(18), tzinfo=zone
    ).astimezone(dt.UTC)
    schedule_questionnaires(patient=patient, now=week_1 + dt.timedelta(hours=1))

    assert _before_session(session, "phq9").state == "completed"
    others = QuestionnaireAssignment.objects.filter(patient=patient, instrument_id="phq9").exclude(
        reason__in=["before_session", "baseline"]
    )
    assert sorted(others.values_list("reason", "state")) == [
        ("after_first_dose", "due"),
        ("induction_weekly", "due"),
    ]
