"""Alerts raised by the records, followed through: where a paperwork alert's work is done, and whom an
unread emergency from a patient in the chair reaches.

- The scheduled job's "REMS monitoring form overdue" alert links to the REMS forms page, which links to
  the form of that session; it does not offer to write to the patient.
- A chest-pain check-in from a patient in the chair, left unacknowledged for the clinic's emergency time
  (5 minutes by default), escalates to a prescriber, by the scheduled command.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.clinics.models import StaffMembership
from ketacare.treatments.models import RemsForm
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_an_overdue_rems_form_alert_leads_to_the_form_of_its_session(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="discharged")
    # Discharge started the session's form; its 7-day deadline has passed unsubmitted.
    RemsForm.objects.filter(session=session).update(due_at=timezone.now() - dt.timedelta(hours=2))
    call_command("raise_due_alerts")
    alert = Alert.objects.get(source=Alert.Source.REMS_DEADLINE)
    assert alert.title.startswith("REMS monitoring form overdue")
    clinician = client_for("clinician_a")
    page = clinician.get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    link = re.search(r'data-testid="work-page">.*?<a href="([^"]+)">', page, flags=re.S)
    assert link is not None and link.group(1) == reverse("treatments:rems_due")
    assert 'data-testid="write-to-patient"' not in page
    forms_page = clinician.get(link.group(1)).content.decode()
    assert reverse("treatments:rems_form", args=[session.public_id]) in forms_page
    assert personas.a1.full_name in forms_page


def test_an_unread_chest_pain_from_the_chair_reaches_a_prescriber_in_five_minutes(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    second = User.objects.create_user("priya.prescriber@example.org", None, full_name="Priya Prescriber")
    StaffMembership.objects.create(user=second, clinic=personas.clinic_a, role="prescriber")
    make_session(personas.a1, route="iv", state="observing")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sent = client_for("a1").post(
            reverse("checkins:checkin"),
            {"idempotency_key": "chest-1", "symptom": "chest_pain", "severity_chest_pain": "moderate"},
        )
    assert sent.status_code == 303
    alert = Alert.objects.get(source="red_flag_checkin")
    assert alert.severity == Alert.Severity.EMERGENCY
    with time_machine.travel(start + dt.timedelta(minutes=5, seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("escalate_alerts")
        page = (
            client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
        )
    alert.refresh_from_db()
    assert alert.escalated_to == second  # not only the clinic admin
    assert [set(m.to) for m in mail.outbox if "not acknowledged" in m.subject] == [
        {"clinician.a@example.org", "priya.prescriber@example.org", "admin.a@example.org"}
    ]
    assert "In the clinic now" in page and "to Priya Prescriber" in page
