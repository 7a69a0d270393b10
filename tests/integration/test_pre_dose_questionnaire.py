"""At check-in the run-sheet shows the questionnaires due before the session and lets the nurse enter them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.questionnaires.services import schedule_questionnaires, submit_questionnaire
from ketacare.treatments.models import PreDoseQuestionnaire
from tests.support.checkins import make_dose
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db


def _phq9(item9: int = 0, others: int = 1) -> dict[str, str]:
    return {f"phq9.q{i}": str(item9 if i == 9 else others) for i in range(1, 10)}


def _baselines_done(patient: Any) -> None:
    # The baseline questionnaires were answered at screening, days ago.
    earlier = timezone.now() - dt.timedelta(days=10)
    for instrument, count in (("phq9", 9), ("gad7", 7)):
        submit_questionnaire(
            patient=patient,
            instrument_id=instrument,
            answers={f"{instrument}.q{i}": int(i != 9) for i in range(1, count + 1)},
            idempotency_key=f"baseline-{instrument}",
            now=earlier,
        )


def _checked_in(client: Any, patient: Any, **options: Any) -> Any:
    session = make_planned_session(patient, **options)
    response = client.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    return session


def _sheet(client: Any, session: Any) -> str:
    return client.get(
        reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
    ).content.decode()


def _due(session: Any, instrument: str) -> QuestionnaireAssignment:
    return QuestionnaireAssignment.objects.get(
        patient=session.patient,
        instrument_id=instrument,
        reason="before_session",
        schedule_key__contains=str(session.appointment.public_id),
    )


def _enter(client: Any, session: Any, assignment: Any, answers: dict[str, str], **extra: Any) -> Any:
    return client.post(
        reverse(
            "treatments:pre_dose_questionnaire",
            kwargs={"session_id": session.public_id, "assignment_id": assignment.public_id},
        ),
        answers,
        **extra,
    )


def test_check_in_shows_the_questionnaires_due_before_this_session(personas: Any, client_for: Any) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    body = _sheet(nurse, session)
    assert "Pre-dose questionnaires" in body
    assert 'data-testid="pdq-phq9"' in body and 'data-testid="pdq-gad7"' in body
    assert body.count('<span class="pdq-state">due</span>') == 2
    assert "Enter answers on this tablet" in body and "phq9.q9" in body  # rendered from the core definition
    assert _due(session, "phq9").state == "due" and _due(session, "gad7").state == "due"


def test_a_session_checked_in_after_its_start_time_still_gets_its_questionnaires(
    personas: Any, client_for: Any
) -> None:
    # 40 minutes late, but never before midnight in the clinic: check-in is for sessions due today.
    now = timezone.now()
    zone = ZoneInfo(personas.a1.clinic.time_zone)
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), tzinfo=zone)
    starts_at = max(now - dt.timedelta(minutes=40), midnight)
    session = _checked_in(client_for("clinician_a"), personas.a1, starts_at=starts_at)
    assert _due(session, "phq9").state == "due"


def test_a_questionnaire_completed_on_the_phone_shows_as_completed_with_its_time(
    personas: Any, client_for: Any
) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    phone = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_phq9(0, others=1)},
        follow=True,
    )
    # Stored, then the browser follows the redirect to the result page (Post/Redirect/Get).
    assert phone.redirect_chain[-1][1] == 303 and phone.status_code == 200
    body = _sheet(nurse, session)
    response = QuestionnaireResponse.objects.get(assignment=_due(session, "phq9"))
    local = response.submitted_at.astimezone(ZoneInfo(session.clinic.time_zone))
    assert f"completed at {local:%H:%M}</span> (on the patient's phone)" in body
    assert body.count('<span class="pdq-state">due</span>') == 1  # GAD-7 still due


def test_an_answer_filed_under_an_older_slot_completes_the_pre_dose_one_too(
    personas: Any, client_for: Any
) -> None:
    # The PHQ-9 due the day after an earlier dose was never answered: the patient's answer today is
    # filed under it, and it also answers the one due before today's session (docs/decisions/0025).
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=5))
    schedule_questionnaires(patient=personas.a1, now=timezone.now())
    older = QuestionnaireAssignment.objects.get(
        patient=personas.a1, instrument_id="phq9", reason="after_first_dose", state="due"
    )
    phone = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_phq9(0, others=1)},
        follow=True,
    )
    # Stored, then the browser follows the redirect to the result page (Post/Redirect/Get).
    assert phone.redirect_chain[-1][1] == 303 and phone.status_code == 200
    response = QuestionnaireResponse.objects.get(assignment=older)
    assert _due(session, "phq9").state == "completed"
    body = _sheet(nurse, session)
    local = response.submitted_at.astimezone(ZoneInfo(session.clinic.time_zone))
    assert f"completed at {local:%H:%M}</span> (on the patient's phone)" in body
    assert body.count('<span class="pdq-state">due</span>') == 1  # GAD-7 still due
    assert '<span class="pdq-state">cancelled</span>' not in body


def test_the_nurse_enters_answers_at_the_chair_linked_to_the_due_item_with_the_core_score(
    personas: Any, client_for: Any
) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    assignment = _due(session, "phq9")
    response = _enter(nurse, session, assignment, {"idempotency_key": "chair-1", **_phq9(0, others=2)})
    assert response.status_code == 302
    stored = QuestionnaireResponse.objects.get(idempotency_key="chair-1")
    assert stored.assignment == assignment and stored.total == 16 and stored.band
    assignment.refresh_from_db()
    assert assignment.state == "completed"
    record = PreDoseQuestionnaire.objects.get()
    assert (record.session, record.response, record.outcome) == (session, stored, "entered")
    assert record.created_by == personas.clinician_a and record.clinic == personas.clinic_a
    body = _sheet(nurse, session)
    assert "(entered at the chair by" in body and "score <strong>16</strong>" in body
    assert not Alert.objects.exists()


def test_a_positive_phq9_item_9_at_the_chair_raises_one_alert_and_shows_crisis_guidance(
    personas: Any, client_for: Any
) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    assignment = _due(session, "phq9")
    body = {"idempotency_key": "chair-crisis", **_phq9(item9=2, others=0)}
    first = _enter(nurse, session, assignment, body, HTTP_HX_REQUEST="true")
    retry = _enter(nurse, session, assignment, body, HTTP_HX_REQUEST="true")
    assert first.status_code == retry.status_code == 200
    for page in (first.content.decode(), _sheet(nurse, session)):
        assert 'data-testid="crisis-guidance"' in page and 'role="alert"' in page
        assert "structured suicide risk assessment" in page  # the core's message
        assert 'href="tel:988"' in page and 'href="tel:911"' in page
    alert = Alert.objects.get()
    assert alert.source == "phq9_item9" and alert.severity == "urgent" and alert.patient == personas.a1
    assert QuestionnaireResponse.objects.filter(idempotency_key="chair-crisis").count() == 1
    assert PreDoseQuestionnaire.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"phq9.q3": "7"}, "Question 3 (phq9.q3): &#x27;7&#x27; is not one of 0, 1, 2, 3."),
        ({"phq9.q4": ""}, "Question 4 (phq9.q4) needs an answer: one of 0, 1, 2, 3."),
        ({"phq9.q9": "x"}, "Question 9 (phq9.q9): &#x27;x&#x27; is not one of 0, 1, 2, 3."),
    ],
)
def test_invalid_answers_are_refused_naming_the_item_and_its_allowed_values_and_write_nothing(
    personas: Any, client_for: Any, change: dict[str, str], named: str
) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    assignment = _due(session, "phq9")
    before = QuestionnaireResponse.objects.count()
    response = _enter(nurse, session, assignment, {**_phq9(item9=3), **change})
    assert response.status_code == 422
    assert named in response.content.decode()
    assert QuestionnaireResponse.objects.count() == before
    assert not PreDoseQuestionnaire.objects.exists() and not Alert.objects.exists()
    assignment.refresh_from_db()
    assert assignment.state == "due"


def test_a_skipped_questionnaire_shows_its_reason_and_leaves_the_due_list(
    personas: Any, client_for: Any
) -> None:
    _baselines_done(personas.a1)
    nurse = client_for("clinician_a")
    session = _checked_in(nurse, personas.a1)
    assignment = _due(session, "gad7")
    url = reverse(
        "treatments:pre_dose_questionnaire_skip",
        kwargs={"session_id": session.public_id, "assignment_id": assignment.public_id},
    )
    refused = nurse.post(url, {"skip_reason": ""})
    assert (
        refused.status_code == 422 and "Say why the questionnaire was not done." in refused.content.decode()
    )
    assert nurse.post(url, {"skip_reason": "Patient too anxious today"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.state == "cancelled"
    assert "skipped: Patient too anxious today" in _sheet(nurse, session)
    again = nurse.post(url, {"skip_reason": "twice"})
    assert again.status_code == 422 and PreDoseQuestionnaire.objects.count() == 1


def test_another_clinics_session_or_a_questionnaire_of_another_session_is_404(
    personas: Any, client_for: Any
) -> None:
    _baselines_done(personas.a1)
    session = _checked_in(client_for("clinician_a"), personas.a1)
    assignment = _due(session, "phq9")
    other_clinic = client_for("clinician_b")
    assert _enter(other_clinic, session, assignment, _phq9(item9=1)).status_code == 404
    skip = reverse(
        "treatments:pre_dose_questionnaire_skip",
        kwargs={"session_id": session.public_id, "assignment_id": assignment.public_id},
    )
    assert other_clinic.post(skip, {"skip_reason": "x"}).status_code == 404
    other_session = _checked_in(client_for("clinician_a"), personas.a2)
    assert _enter(client_for("clinician_a"), other_session, assignment, _phq9()).status_code == 404
    assert client_for("a1").post(skip, {"skip_reason": "x"}).status_code == 404
    assert not PreDoseQuestionnaire.objects.exists() and not Alert.objects.exists()
    assignment.refresh_from_db()
    assert assignment.state == "due"
