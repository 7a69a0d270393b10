"""Time-based sources: each cause raises exactly one alert, for the patient's clinic and clinician."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from ketacare.alerts.models import Alert
from ketacare.vigilance.scheduled import (
    raise_missed_questionnaire_alerts,
    raise_rems_deadline_alerts,
    raise_side_effect_overdue_alerts,
)
from tests.support.cohort import add_sessions, day

pytestmark = pytest.mark.django_db


def _only_alert(patient: Any, source: str) -> Alert:
    alerts = list(Alert.objects.filter(source=source))
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.patient, alert.clinic, alert.assignee) == (
        patient,
        patient.clinic,
        patient.primary_clinician,
    )
    return alert


def test_a_side_effect_seen_past_its_threshold_raises_one_alert(personas: Any) -> None:
    from ketacare.checkins.models import SymptomCheckin, SymptomReport

    b1 = personas.b1
    checkin = SymptomCheckin.objects.create(
        clinic=b1.clinic, patient=b1, submitted_at=day(0), idempotency_key="k", triage_level="self_care"
    )
    report = SymptomReport.objects.create(
        clinic=b1.clinic, patient=b1, checkin=checkin, last_checkin=checkin, symptom_id="nausea",
        kind="side_effect", name="Nausea", severity="mild", level="self_care", route="iv",
        dose_started_at=day(0), expected_resolution_min=240, started_at=day(0) + dt.timedelta(hours=1),
    )  # fmt: skip
    # Core knowledge: nausea after IV is longer than expected after 720 minutes. Left open and not
    # seen again, it is not "longer than expected": silence between check-ins is not a duration.
    assert raise_side_effect_overdue_alerts(now=day(0) + dt.timedelta(minutes=721)) == []
    assert raise_side_effect_overdue_alerts(now=day(1)) == []
    # Seen still present 721 minutes after the dose: one alert, however often the job runs.
    report.last_seen_at = day(0) + dt.timedelta(minutes=721)
    report.save(update_fields=["last_seen_at"])
    raise_side_effect_overdue_alerts(now=day(0) + dt.timedelta(minutes=722))
    raise_side_effect_overdue_alerts(now=day(1))
    alert = _only_alert(b1, "side_effect_overdue")
    # The check-in's own words (checkins.alert_words): the dose by its day on the clinic's clock
    # (Berlin), the time seen and the overrun past the usual 4 hours in hours and minutes.
    assert alert.severity == "contact_clinic"
    assert alert.title == "Nausea lasting longer than expected after the dose on Monday 5 January"
    assert alert.detail.startswith(
        "Nausea seen 12 h 1 min after the dose on Monday 5 January, 8 h 1 min past its usual time "
        "(usually gone by about 4 hours)."
    )


def test_a_questionnaire_still_due_after_48_hours_raises_one_alert(personas: Any) -> None:
    from ketacare.questionnaires.models import QuestionnaireAssignment

    QuestionnaireAssignment.objects.create(
        clinic=personas.clinic_a, patient=personas.a2, instrument_id="phq9", reason="induction_weekly",
        due_at=day(0), schedule_key="w1",
    )  # fmt: skip
    assert raise_missed_questionnaire_alerts(now=day(2)) == []
    raise_missed_questionnaire_alerts(now=day(2) + dt.timedelta(seconds=1))
    raise_missed_questionnaire_alerts(now=day(3))
    missed = _only_alert(personas.a2, "missed_checkin")
    assert missed.severity == "info"
    # The questionnaire by its name and the due time on the clinic's clock, never "PHQ9" and UTC.
    assert missed.title == "Questionnaire not completed: PHQ-9"
    assert missed.detail == "Due Mon 5 Jan 2026, 07:00 (clinic time, New York; weekly during induction)."
    assert "UTC" not in missed.detail


def test_a_rems_form_nearing_its_deadline_raises_one_alert_then_one_when_overdue(personas: Any) -> None:
    from ketacare.treatments.models import RemsForm

    [session] = add_sessions(personas.a1, 1, personas.clinician_a, route="esketamine_in")
    RemsForm.objects.create(clinic=personas.clinic_a, patient=personas.a1, session=session, due_at=day(7))
    assert raise_rems_deadline_alerts(now=day(4)) == []
    raise_rems_deadline_alerts(now=day(5))
    raise_rems_deadline_alerts(now=day(6))
    due_soon = _only_alert(personas.a1, "rems_deadline")
    assert due_soon.severity == "contact_clinic"
    # The deadline (12:00 UTC) on the clinic's clock (New York, UTC-5 in January), the source in words.
    assert due_soon.detail == (
        "Submit the patient monitoring form by Mon 12 Jan 2026, 07:00 (clinic time, New York). "
        "Source: SPRAVATO REMS Patient Monitoring Form — Outpatient Use Only (Janssen, 11/2021)."
    )
    assert "UTC" not in due_soon.detail and "[REMS-PMF]" not in due_soon.detail
    # The title names the session, so a patient's several forms are told apart in the inbox.
    held = session.dose_started_at or session.scheduled_at
    day_words = f"{held.astimezone(personas.clinic_a.zone):%a} {held.astimezone(personas.clinic_a.zone).day} "
    assert due_soon.title.startswith(f"REMS monitoring form due soon (session of {day_words}")
    raise_rems_deadline_alerts(now=day(8))
    assert list(
        Alert.objects.filter(source="rems_deadline").values_list("severity", flat=True).order_by("id")
    ) == [
        "contact_clinic",
        "urgent",
    ]


def test_the_command_runs_every_source(personas: Any) -> None:
    call_command("raise_due_alerts")
    assert not Alert.objects.exists()
