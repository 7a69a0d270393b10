"""An emergency or suicide-risk alert escalates on its own, shorter timer, to the clinic's prescribers.

Every other alert keeps the clinic's longer time and goes to the escalation contact (the clinic admin by
default). The clinic admin sets both times on the policy page; the escalation job (the scheduled command,
with the clock frozen) follows them; the alert's page and the inbox say who it went to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert, AlertPolicy
from ketacare.alerts.tests.helpers import make_alert
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 7, 12, 16, tzinfo=dt.UTC)


def _staff(email: str, clinic: Any, role: str) -> User:
    user = User.objects.create_user(email, None, full_name=email.split("@")[0].replace(".", " ").title())
    StaffMembership.objects.create(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def colleagues(personas: Any) -> dict[str, User]:
    """A second prescriber and a nurse at Clinic A (Clinician A is the patients' own clinician)."""
    return {
        "prescriber": _staff("priya.prescriber@example.org", personas.clinic_a, "prescriber"),
        "nurse": _staff("nick.nurse@example.org", personas.clinic_a, "nurse"),
    }


def _escalate_at(moment: dt.datetime, capture: Any) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        call_command("escalate_alerts")


def test_an_emergency_left_open_five_minutes_escalates_to_a_prescriber_and_mails_the_clinicians(
    personas: Any, colleagues: dict[str, User], client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1, severity="emergency", title="Red flag in check-in: Chest pain")
    _escalate_at(T0 + dt.timedelta(minutes=4, seconds=59), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalated_at is None and mail.outbox == []

    _escalate_at(T0 + dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    # A prescriber other than the patient's own clinician, who had it already; never the admin alone.
    assert alert.escalated_to == colleagues["prescriber"]
    assert alert.escalated_at == T0 + dt.timedelta(minutes=5) and alert.state == Alert.State.OPEN
    (message,) = mail.outbox  # one message per escalation, to every clinician and the contact
    assert set(message.to) == {
        "clinician.a@example.org",
        "priya.prescriber@example.org",
        "admin.a@example.org",
    }
    assert "nick.nurse@example.org" not in message.to
    assert "not acknowledged in 5 minutes" in message.subject
    assert personas.a1.full_name not in message.body and "Chest pain" not in message.body
    assert str(alert.public_id) in message.body
    # Audited once, as every escalation; a second run does nothing.
    writes = AccessEvent.objects.filter(object_type="alert", object_id=str(alert.public_id), action="write")
    assert writes.count() == 1
    _escalate_at(T0 + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        page = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "to Priya Prescriber; every prescriber of the clinic and the escalation contact were e-mailed" in body
    )


def test_a_suicide_risk_alert_that_is_not_an_emergency_escalates_on_the_short_timer_too(
    personas: Any, colleagues: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        item9 = make_alert(personas.a1, severity="urgent", source="phq9_item9", title="PHQ-9 item 9 scored 1")
        words = make_alert(
            personas.a2,
            severity="urgent",
            source="patient_message",
            title="Red flag in a message: Thoughts of suicide",
            evidence={"red_flags": ["suicidal_thoughts_without_plan"]},
        )
    _escalate_at(T0 + dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert {a.escalated_to for a in Alert.objects.filter(pk__in=[item9.pk, words.pk])} == {
        colleagues["prescriber"]
    }


def test_a_routine_alert_waits_for_the_long_time_and_goes_to_the_escalation_contact(
    personas: Any, colleagues: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1, severity="urgent", title="Red flag in check-in: Headache")
    for minutes in (5, 10, 29):
        _escalate_at(T0 + dt.timedelta(minutes=minutes), django_capture_on_commit_callbacks)
        alert.refresh_from_db()
        assert alert.escalated_at is None, minutes
    _escalate_at(T0 + dt.timedelta(minutes=30), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalated_to == personas.admin_a
    assert [m.to for m in mail.outbox] == [["admin.a@example.org"]]


def test_with_no_prescriber_left_an_emergency_still_reaches_the_escalation_contact(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    StaffMembership.objects.filter(user=personas.clinician_a).update(is_active=False)
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1, severity="emergency")
    _escalate_at(T0 + dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalated_to == personas.admin_a
    assert [m.to for m in mail.outbox] == [["admin.a@example.org"]]


def test_an_acknowledged_emergency_does_not_escalate(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1, severity="emergency")
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        client_for("clinician_a").post(
            reverse("alerts:acknowledge", args=[alert.public_id]), {"note": "With the patient now"}
        )
    _escalate_at(T0 + dt.timedelta(minutes=10), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalated_at is None and mail.outbox == []


# The policy page: both times, in words, with their ranges, defaults and who they reach.


def test_the_policy_page_shows_both_times_with_plain_labels_and_who_they_reach(
    personas: Any, colleagues: dict[str, User], client_for: Any
) -> None:
    body = client_for("admin_a").get(reverse("alerts:policy")).content.decode()
    assert "Emergency and suicide-risk alerts: escalate to the prescribers after (minutes)" in body
    assert "All other alerts: escalate to the escalation contact after (minutes)" in body
    assert 'name="emergency_escalate_after_min" value="5"' in body
    assert 'name="escalate_after_min" value="30"' in body
    assert "Clinician A, Priya Prescriber" in body  # the prescribers an emergency reaches
    assert "Nick Nurse" not in body
    assert "escalation contact: <strong>Admin A</strong>" in body
    assert "Default 5 minutes: clinic practice, not a published standard" in body
    assert "Allowed: 1 to 60 minutes, and not longer than the time for other alerts" in body


def test_bad_times_are_refused_together_naming_each_field_and_its_range(
    personas: Any, client_for: Any
) -> None:
    admin = client_for("admin_a")
    both = admin.post(
        reverse("alerts:policy"), {"emergency_escalate_after_min": "0", "escalate_after_min": "2"}
    )
    assert both.status_code == 400
    body = both.content.decode()
    assert (
        "Emergency and suicide-risk alerts: the escalation time must be a whole number from 1 to 60" in body
    )
    assert "Other alerts: the escalation time must be a whole number from 5 to 10080 minutes" in body
    longer = admin.post(
        reverse("alerts:policy"), {"emergency_escalate_after_min": "45", "escalate_after_min": "30"}
    )
    assert longer.status_code == 400
    assert (
        "the escalation time (45 minutes) must not be longer than the time for other alerts (30 minutes)"
        in longer.content.decode()
    )
    blank = admin.post(
        reverse("alerts:policy"), {"emergency_escalate_after_min": "", "escalate_after_min": "30"}
    )
    assert blank.status_code == 400 and "from 1 to 60 minutes" in blank.content.decode()
    assert not AlertPolicy.objects.exists()


def test_the_clinic_sets_its_emergency_time_and_the_job_follows_it(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = client_for("admin_a")
    saved = admin.post(
        reverse("alerts:policy"), {"emergency_escalate_after_min": "2", "escalate_after_min": "45"}
    )
    assert saved.status_code == 302
    policy = AlertPolicy.objects.get(clinic=personas.clinic_a)
    assert (policy.emergency_escalate_after_min, policy.escalate_after_min) == (2, 45)
    inbox = admin.get(reverse("alerts:inbox")).content.decode()
    assert (
        "An open emergency or suicide-risk alert escalates to the clinic's prescribers after 2 minutes "
        "without acknowledgement; any other open alert to the clinic's escalation contact after 45 minutes"
    ) in inbox
    with time_machine.travel(T0, tick=False):
        emergency = make_alert(personas.a1, severity="emergency")
        routine = make_alert(personas.a2, severity="urgent")
    _escalate_at(T0 + dt.timedelta(minutes=2), django_capture_on_commit_callbacks)
    emergency.refresh_from_db()
    routine.refresh_from_db()
    assert emergency.escalated_to == personas.clinician_a  # the only prescriber
    assert routine.escalated_at is None
    _escalate_at(T0 + dt.timedelta(minutes=45), django_capture_on_commit_callbacks)
    routine.refresh_from_db()
    assert routine.escalated_to == personas.admin_a
