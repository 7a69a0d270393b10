"""A new score that completes a core course signal raises exactly one alert, with rule and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.vigilance.course_signals import evaluate_course_signals, evaluate_dropout_risk
from tests.support.cohort import add_scores, day

pytestmark = pytest.mark.django_db


def test_loss_of_response_raises_one_alert_for_the_patients_clinic_and_clinician(personas: Any) -> None:
    # PHQ-9 20 -> 9 (response) -> 14 -> 16: two consecutive non-responding scores after a response.
    add_scores(personas.a1, [(0, 20), (14, 9), (21, 14)])
    assert evaluate_course_signals(patient=personas.a1, now=day(22)) == []
    add_scores(personas.a1, [(28, 16)])
    raised = evaluate_course_signals(patient=personas.a1, now=day(29))
    assert len(raised) == 1
    alert = raised[0]
    assert (alert.clinic, alert.patient, alert.assignee) == (
        personas.clinic_a,
        personas.a1,
        personas.clinician_a,
    )
    assert (alert.source, alert.severity) == ("worsening_trend", "contact_clinic")
    assert "Possible relapse" in alert.title
    assert alert.evidence["code"] == "loss_of_response" and alert.evidence["baseline"] == "20"
    assert [s["score"] for s in alert.evidence["scores"]] == ["20", "9", "14", "16"]
    assert alert.evidence["scores"][1]["change"] == "response"
    # Running again (a retry, the scheduler) adds nothing; other clinics have nothing.
    evaluate_course_signals(patient=personas.a1, now=day(30))
    assert Alert.objects.count() == 1
    assert not Alert.objects.filter(clinic=personas.clinic_b).exists()


def test_a_history_without_a_new_signal_raises_nothing(personas: Any) -> None:
    add_scores(personas.a2, [(0, 20), (14, 9), (21, 14), (28, 16), (35, 8)])
    assert evaluate_course_signals(patient=personas.a2, now=day(36)) == []


def test_worsening_against_baseline_raises_a_worsening_alert(personas: Any) -> None:
    # PHQ-9 worsening threshold is 5 points (instrument data): 10 -> 15 -> 16.
    add_scores(personas.b1, [(0, 10), (7, 15), (14, 16)])
    [alert] = evaluate_course_signals(patient=personas.b1, now=day(15))
    assert alert.clinic == personas.clinic_b and alert.assignee == personas.clinician_b
    assert alert.evidence["code"] == "worsening"


def test_the_alert_page_shows_the_rule_and_the_evidence(personas: Any, client_for: Any) -> None:
    add_scores(personas.a1, [(0, 20), (14, 9), (21, 14), (28, 16)])
    [alert] = evaluate_course_signals(patient=personas.a1, now=day(29))
    body = client_for("clinician_a").get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    assert "Rule and evidence" in body and "Loss of response" in body
    # The sources and the strength of the evidence in words, not their ids and tags.
    assert "KetaCare default clinic practice — unverified, to be reviewed by the clinic" in body
    assert "clinic-practice" not in body


def test_missed_induction_sessions_raise_one_dropout_alert(personas: Any) -> None:
    from ketacare.treatments.models import Appointment
    from tests.support.cohort import add_plan

    plan = add_plan(personas.a1, "iv", personas.clinician_a)
    for number, status in ((1, "completed"), (2, "cancelled"), (3, "cancelled")):
        Appointment.objects.create(
            clinic=personas.clinic_a,
            patient=personas.a1,
            plan=plan,
            number=number,
            phase="induction",
            week=1,
            starts_at=day(2 * number),
            duration_min=120,
            status=status,
        )
    alert = evaluate_dropout_risk(patient=personas.a1, now=day(10))
    assert alert is not None and alert.source == "dropout_risk" and alert.severity == "contact_clinic"
    assert alert.assignee == personas.clinician_a
    assert evaluate_dropout_risk(patient=personas.a1, now=day(11)) == alert
    assert Alert.objects.filter(source="dropout_risk").count() == 1
    assert evaluate_dropout_risk(patient=personas.a2, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) is None


def test_the_scheduler_command_raises_course_alerts_for_recent_scores(personas: Any) -> None:
    import time_machine
    from django.core.management import call_command

    add_scores(personas.a1, [(0, 20), (14, 9), (21, 14), (28, 16)])
    with time_machine.travel(day(28) + dt.timedelta(hours=1), tick=False):
        call_command("check_course_signals", "--hours", "24")
        call_command("check_course_signals", "--hours", "24")
    assert Alert.objects.filter(source="worsening_trend", patient=personas.a1).count() == 1
