"""Questionnaires fall due on a schedule in the patient's zone; a patient is reminded once of those waiting,
on the channels they chose and outside their quiet hours."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ketacare.notifications.channels import ConsoleSmsBackend
from ketacare.notifications.models import Delivery
from ketacare.notifications.services import set_preferences
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnairePolicy
from ketacare.questionnaires.schedule import PolicyValues, due_slots
from ketacare.questionnaires.services import schedule_questionnaires, send_due_reminders
from tests.support.checkins import make_dose
from tests.support.clock import awake_in_both_clinics_after

pytestmark = pytest.mark.django_db

POLICY = PolicyValues(("phq9", "gad7"), True, 24, 7, 14, 18, False)
NY = ZoneInfo("America/New_York")


def test_weekly_induction_slots_fall_at_six_pm_local_across_a_dst_change() -> None:
    first_dose = dt.datetime(2026, 3, 2, 15, 0, tzinfo=NY)  # DST starts 8 March in New York
    slots = due_slots(
        policy=POLICY,
        stage="induction",
        time_zone="America/New_York",
        enrolled_at=first_dose - dt.timedelta(days=7),
        dose_starts=[first_dose],
        upcoming_induction_sessions=[],
        maintenance_started_at=None,
        now=dt.datetime(2026, 3, 17, 12, 0, tzinfo=NY),
    )
    weekly = sorted({s.due_at for s in slots if s.reason == "induction_weekly"})
    assert [w.astimezone(NY).hour for w in weekly] == [18, 18]
    assert [w.astimezone(NY).date() for w in weekly] == [dt.date(2026, 3, 9), dt.date(2026, 3, 16)]
    assert weekly[0] - weekly[0].astimezone(dt.UTC) == dt.timedelta(0)
    assert weekly[0].astimezone(dt.UTC).hour == 22  # EDT (UTC-4) after the change
    after_first = [s for s in slots if s.reason == "after_first_dose"]
    assert {s.due_at for s in after_first} == {first_dose + dt.timedelta(hours=24)}
    assert {s.instrument_id for s in slots if s.reason == "baseline"} == {"phq9", "gad7"}


def test_maintenance_slots_come_every_two_weeks() -> None:
    anchor = dt.datetime(2026, 1, 1, 9, tzinfo=NY)
    slots = due_slots(
        policy=POLICY,
        stage="maintenance",
        time_zone="America/New_York",
        enrolled_at=anchor,
        dose_starts=[anchor],
        upcoming_induction_sessions=[],
        maintenance_started_at=anchor,
        now=dt.datetime(2026, 2, 1, 9, tzinfo=NY),
    )
    dates = sorted({s.due_at.astimezone(NY).date() for s in slots if s.reason == "maintenance"})
    assert dates == [dt.date(2026, 1, 15), dt.date(2026, 1, 29)]


def test_scheduling_twice_adds_nothing_and_follows_the_clinic_policy(personas: Any) -> None:
    QuestionnairePolicy.objects.create(clinic=personas.clinic_a, core_instruments=["phq9"])
    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    make_dose(personas.a1, started_at=now - dt.timedelta(days=10))
    first = schedule_questionnaires(patient=personas.a1, now=now)
    assert first > 0
    assert schedule_questionnaires(patient=personas.a1, now=now) == 0
    assert set(QuestionnaireAssignment.objects.values_list("instrument_id", flat=True)) == {"phq9"}


def test_reminders_are_sent_once_and_marked(
    personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = ""
    later = awake_in_both_clinics_after(timezone.now() + dt.timedelta(hours=1))
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders")
        sent_first = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders")
    # PHQ-9 and GAD-7 baselines are due for a1, a2 and b1: one reminder each, not one per questionnaire.
    assert sent_first == 3
    assert len(mail.outbox) == sent_first
    assert not QuestionnaireAssignment.objects.filter(reminded_at__isnull=True, due_at__lte=later).exists()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "patient.a1@example.org",
        "patient.a2@example.org",
        "patient.b1@example.org",
    ]
    # No health details in an e-mail (no questionnaire, score or name) and a link a mail client opens.
    for message in mail.outbox:
        assert message.subject == "KetaCare: a questionnaire is waiting for you"
        assert message.body == (
            "KetaCare: a questionnaire is waiting for you.\n\nhttp://127.0.0.1:8000/me/questionnaires/"
        )


def test_a_reminder_waits_out_quiet_hours_and_goes_on_the_channel_the_patient_chose(
    personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://care.example.org"
    set_preferences(
        patient=personas.a1,
        push=False,
        sms=True,
        email=False,
        phone="+1 555 0142",
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(8, 0),
    )
    ConsoleSmsBackend.outbox.clear()
    day = awake_in_both_clinics_after(timezone.now() + dt.timedelta(hours=1))
    night = day + dt.timedelta(hours=16)  # 06:00 UTC: 01:00 in New York, 07:00 in Berlin
    out = io.StringIO()
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
    assert out.getvalue() == "scheduled 6 questionnaire(s); reminded 0 patient(s)\n"
    assert mail.outbox == [] and ConsoleSmsBackend.outbox == [] and not Delivery.objects.exists()
    assert QuestionnaireAssignment.objects.filter(state="due", reminded_at__isnull=True).count() == 6
    morning = night + dt.timedelta(hours=8)
    with time_machine.travel(morning, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(now=morning) == 3
    assert [(t.to, t.body) for t in ConsoleSmsBackend.outbox] == [
        (
            "+1 555 0142",
            "KetaCare: a questionnaire is waiting for you. https://care.example.org/me/questionnaires/"
            " Reply STOP to stop texts.",
        )
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["patient.a2@example.org", "patient.b1@example.org"]


def test_send_due_reminders_skips_completed_questionnaires(personas: Any) -> None:
    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    schedule_questionnaires(patient=personas.a1, now=now)
    QuestionnaireAssignment.objects.update(state="completed")
    assert send_due_reminders(now=now) == 0


def test_a_clinic_admin_sets_the_schedule_and_bad_values_name_their_range(
    personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    admin = client_for("admin_a")
    url = reverse("questionnaires:policy")
    assert b"The defaults apply" in admin.get(url).content
    bad = admin.post(
        url,
        {
            "core_instruments": ["phq9"],
            "after_first_dose_hours": "24",
            "induction_interval_days": "0",
            "maintenance_interval_days": "14",
            "due_hour_local": "25",
        },
    )
    assert bad.status_code == 400
    assert b"Induction interval must be a whole number from 1 to 60." in bad.content
    assert b"Due hour must be a whole number from 0 to 23." in bad.content
    assert not QuestionnairePolicy.objects.exists()
    good = admin.post(
        url,
        {
            "core_instruments": ["phq9", "pcl5"],
            "after_first_dose_hours": "24",
            "induction_interval_days": "10",
            "maintenance_interval_days": "21",
            "due_hour_local": "9",
        },
    )
    assert good.status_code == 302
    policy = QuestionnairePolicy.objects.get(clinic=personas.clinic_a)
    assert policy.core_instruments == ["phq9", "pcl5"] and policy.induction_interval_days == 10
    assert client_for("clinician_a").get(url).status_code == 404


def test_a_schedule_without_a_self_harm_question_is_saved_with_a_warning_and_the_list_has_its_heading_first(
    personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    admin = client_for("admin_a")
    url = reverse("questionnaires:policy")
    page = admin.get(url).content.decode()
    # The checkbox list sits under its heading (a fieldset's legend), not above its label.
    legend = page.index("<legend>Questionnaires on the schedule</legend>")
    assert legend < page.index('name="core_instruments"')
    titles = re.findall(r'name="core_instruments" value="[^"]+" id="[^"]+"[^>]*>\s*([^<]+)<', page)
    assert len(titles) > 3 and titles == sorted(titles, key=str.casefold)
    values = {
        "after_first_dose_hours": "24",
        "induction_interval_days": "7",
        "maintenance_interval_days": "14",
        "due_hour_local": "18",
    }
    without = admin.post(url, {**values, "core_instruments": ["gad7"]}, follow=True).content.decode()
    assert "The questionnaire schedule is saved." in without
    assert "No questionnaire on the schedule asks about thoughts of self-harm (PHQ-9 item 9 does)" in without
    assert QuestionnairePolicy.objects.get(clinic=personas.clinic_a).core_instruments == ["gad7"]
    with_phq9 = admin.post(
        url, {**values, "core_instruments": ["phq9", "gad7"]}, follow=True
    ).content.decode()
    assert "The questionnaire schedule is saved." in with_phq9
    assert "thoughts of self-harm" not in with_phq9


def test_the_schedule_page_names_conditions_and_questionnaires_in_words(
    personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    page = client_for("admin_a").get(reverse("questionnaires:policy")).content.decode()
    assert "<li>PTSD: PTSD Checklist for DSM-5 (PCL-5)</li>" in page
    assert (
        "<li>Chronic pain: Pain numeric rating scale (0-10); Brief Pain Inventory, short form (BPI-SF)</li>"
        in page
    )
    for code in ("ptsd:", "pcl5", "chronic_pain", "pain_nrs", "bpi_sf"):
        assert code not in page.split("Condition-specific questionnaires")[1], code
