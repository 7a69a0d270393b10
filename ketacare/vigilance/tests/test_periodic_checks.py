"""Decision 0012 rule 20: the bladder and misuse checks are assigned when due, and a positive one alerts
(a positive bladder check also pauses the next dose until a prescriber resolves the alert)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from ketacare.alerts.models import Alert
from ketacare.patients.facts import next_dose_hold
from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.vigilance.scheduled import assign_periodic_checks, raise_positive_check_alerts
from tests.support.checkins import make_dose
from tests.support.cohort import day

pytestmark = pytest.mark.django_db


def _due(patient: Any) -> list[str]:
    return sorted(
        QuestionnaireAssignment.objects.filter(
            patient=patient, state=QuestionnaireAssignment.State.DUE
        ).values_list("instrument_id", flat=True)
    )


def test_checks_are_assigned_28_days_after_the_first_dose_once(personas: Any) -> None:
    make_dose(personas.a1, started_at=day(0))
    assert assign_periodic_checks(now=day(27)) == []
    assigned = assign_periodic_checks(now=day(28) + dt.timedelta(minutes=1))
    assert sorted(a.instrument_id for a in assigned) == ["luts_check", "misuse_check"]
    assert assign_periodic_checks(now=day(29)) == []  # still open: not assigned twice
    assert _due(personas.a1) == ["luts_check", "misuse_check"]
    assert _due(personas.a2) == []  # no dose, no check


def test_a_completed_check_is_due_again_28_days_later(personas: Any) -> None:
    make_dose(personas.a1, started_at=day(0))
    assign_periodic_checks(now=day(29))
    for check, n in (("luts_check", 4), ("misuse_check", 3)):
        submit_questionnaire(
            patient=personas.a1, instrument_id=check, answers={f"{check}.q{i + 1}": 0 for i in range(n)},
            idempotency_key=f"{check}-1", now=day(30),
        )  # fmt: skip
    assert _due(personas.a1) == [] and not Alert.objects.exists()
    assert assign_periodic_checks(now=day(57)) == []
    assert len(assign_periodic_checks(now=day(58) + dt.timedelta(minutes=1))) == 2


def test_a_positive_bladder_check_alerts_at_once_and_pauses_the_next_dose(personas: Any) -> None:
    make_dose(personas.a1, started_at=day(0))
    submit_questionnaire(
        patient=personas.a1, instrument_id="luts_check",
        answers={"luts_check.q1": 0, "luts_check.q2": 1, "luts_check.q3": 0, "luts_check.q4": 0},
        idempotency_key="luts", now=day(30),
    )  # fmt: skip
    alert = Alert.objects.get()
    assert alert.severity == "urgent" and "next dose paused until a prescriber reviews" in alert.title
    assert alert.evidence == {"holds_next_dose": True} and alert.needs_prescriber
    assert alert.clinic == personas.clinic_a
    assert next_dose_hold(personas.a1) is not None
    # The job raises no second alert for the same check.
    with transaction.atomic():
        raise_positive_check_alerts()
    call_command("raise_due_alerts")
    assert Alert.objects.count() == 1
    alert.state = Alert.State.RESOLVED
    alert.save(update_fields=["state"])
    assert next_dose_hold(personas.a1) is None


def test_a_positive_misuse_check_alerts_without_a_hold(personas: Any) -> None:
    submit_questionnaire(
        patient=personas.a1, instrument_id="misuse_check",
        answers={"misuse_check.q1": 1, "misuse_check.q2": 0, "misuse_check.q3": 0},
        idempotency_key="misuse", now=day(30),
    )  # fmt: skip
    alert = Alert.objects.get()
    assert alert.severity == "contact_clinic" and "Cravings and misuse check" in alert.title
    assert alert.source == "periodic_check"
    assert next_dose_hold(personas.a1) is None
