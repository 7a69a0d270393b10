"""Prompts on the treatment timeline (docs/decisions/0020): after a session, on the patient's clock, each
once, held in quiet hours and sent after them while still timely; the day before an appointment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from ketacare.notifications.models import Delivery
from ketacare.notifications.services import set_preferences
from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.questionnaires.services import schedule_questionnaires
from ketacare.treatments.models import Appointment
from tests.support.checkins import make_dose
from tests.support.cohort import add_plan

pytestmark = pytest.mark.django_db
# A1 lives in New York (UTC-5 in early March): the dose starts 09:00 local, discharge 10:40 local.
DOSE = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


def _run(at: dt.datetime) -> list[str]:
    # The command writes queued deliveries; the task queue (synchronous in tests) sends them on commit.
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_prompts")
    return list(Delivery.objects.filter(status="sent").order_by("id").values_list("dedupe_key", flat=True))


def _names(keys: list[str]) -> list[str]:
    return [k.split(":")[1] for k in keys]


def test_the_check_in_prompts_follow_the_session_on_the_patients_clock(personas: Any) -> None:
    make_dose(personas.a1, started_at=DOSE)
    assert _run(DOSE + dt.timedelta(minutes=90)) == []  # still in the chair
    assert _names(_run(DOSE + dt.timedelta(minutes=105))) == ["observation_end"]
    assert _names(_run(DOSE + dt.timedelta(minutes=110))) == ["observation_end"], "sent once"
    # 19:00 in New York is 00:00 UTC the next day.
    assert _names(_run(dt.datetime(2026, 3, 3, 0, 1, tzinfo=dt.UTC)))[-1] == "evening"
    assert _names(_run(dt.datetime(2026, 3, 3, 14, 1, tzinfo=dt.UTC)))[-1] == "next_morning"
    assert _names(_run(DOSE + dt.timedelta(hours=48, minutes=1)))[-1] == "48h"
    assert _names(_run(DOSE + dt.timedelta(hours=72, minutes=1)))[-1] == "72h"
    assert len(mail.outbox) == 5
    assert all(m.body.startswith("KetaCare: you have a check-in waiting.") for m in mail.outbox)
    assert all("/me/checkin/" in m.body for m in mail.outbox)


def test_quiet_hours_hold_a_prompt_which_goes_later_only_while_timely(personas: Any) -> None:
    set_preferences(
        patient=personas.a1,
        push=False,
        sms=False,
        email=True,
        phone="",
        quiet_start=dt.time(18, 0),
        quiet_end=dt.time(9, 30),
    )
    make_dose(personas.a1, started_at=DOSE)
    _run(DOSE + dt.timedelta(minutes=105))
    evening = dt.datetime(2026, 3, 3, 0, 1, tzinfo=dt.UTC)  # 19:01 local, quiet
    _run(evening)
    held = Delivery.objects.get(dedupe_key__startswith="prompt:evening")
    assert held.status == "held" and held.reason == "quiet hours"
    # 09:31 local: the evening prompt is 14.5 h old (stale, dropped); the morning one goes now.
    keys = _names(_run(dt.datetime(2026, 3, 3, 14, 31, tzinfo=dt.UTC)))
    assert keys == ["observation_end", "next_morning"]


def test_the_day_before_an_appointment_the_patient_is_prompted_to_prepare(personas: Any) -> None:
    plan = add_plan(personas.a1, "iv", personas.clinician_a)
    Appointment.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a1,
        plan=plan,
        number=2,
        phase="induction",
        week=1,
        starts_at=dt.datetime(2026, 3, 5, 15, 0, tzinfo=dt.UTC),
        duration_min=120,
    )
    assert _run(dt.datetime(2026, 3, 4, 22, 59, tzinfo=dt.UTC)) == []  # 17:59 local the day before
    assert _names(_run(dt.datetime(2026, 3, 4, 23, 1, tzinfo=dt.UTC))) == ["day_before"]
    assert mail.outbox[-1].body.startswith("KetaCare: you have an appointment tomorrow.")
    assert "/me/preparation/" in mail.outbox[-1].body


def test_due_questionnaires_are_not_prompted_twice(personas: Any) -> None:
    # The reminder job reminds of due questionnaires (once for all); the prompts, which run beside it, say
    # nothing about them.
    later = timezone.now() + dt.timedelta(hours=1)
    assert schedule_questionnaires(patient=personas.a1, now=later) > 0
    due = QuestionnaireAssignment.objects.filter(patient=personas.a1, state="due").order_by("due_at").first()
    assert due is not None and due.due_at <= later
    assert _run(later) == []
    assert not Delivery.objects.exists()
