"""Alerts left unacknowledged past the clinic's time escalate to the clinic admin (time frozen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from ketacare.alerts.models import AlertPolicy
from ketacare.alerts.services import acknowledge_alert, escalate_overdue_alerts
from ketacare.alerts.tests.helpers import make_alert
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_an_open_alert_escalates_after_the_default_30_minutes_and_only_once(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1)
    assert escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=29, seconds=59)) == []
    with django_capture_on_commit_callbacks(execute=True):
        escalated = escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=30))
    assert [a.pk for a in escalated] == [alert.pk]
    alert.refresh_from_db()
    assert alert.escalated_to == personas.admin_a and alert.escalated_at == T0 + dt.timedelta(minutes=30)
    assert alert.state == "open"
    assert escalate_overdue_alerts(now=T0 + dt.timedelta(hours=5)) == []
    assert (
        AccessEvent.objects.filter(
            object_type="alert", object_id=str(alert.public_id), action="write"
        ).count()
        == 1
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin.a@example.org"]
    assert "Canary" not in mail.outbox[0].body  # no patient data in the e-mail


def test_the_clinic_sets_its_own_time(personas: Any) -> None:
    AlertPolicy.objects.create(clinic=personas.clinic_a, escalate_after_min=10)
    AlertPolicy.objects.create(clinic=personas.clinic_b, escalate_after_min=60)
    with time_machine.travel(T0, tick=False):
        a = make_alert(personas.a1)
        b = make_alert(personas.b1)
    assert [x.pk for x in escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=10))] == [a.pk]
    assert [x.pk for x in escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=59))] == []
    assert [x.pk for x in escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=60))] == [b.pk]
    b.refresh_from_db()
    assert b.escalated_to is None  # Clinic B has no clinic admin: escalated, but to nobody


def test_an_acknowledged_alert_does_not_escalate(personas: Any) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1)
    acknowledge_alert(alert=alert, user=personas.clinician_a, note="on it", now=T0 + dt.timedelta(minutes=5))
    assert escalate_overdue_alerts(now=T0 + dt.timedelta(hours=1)) == []


def test_the_command_escalates_with_the_real_clock(personas: Any) -> None:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a2)
    StaffMembership.objects.filter(user=personas.admin_a).update(is_active=True)
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        call_command("escalate_alerts")
    alert.refresh_from_db()
    assert alert.escalated_to == personas.admin_a


def test_the_admin_sets_the_time_and_bad_values_name_the_range(personas: Any, client_for: Any) -> None:
    client = client_for("admin_a")
    # The page has two times (emergencies and the others): a post gives both.
    body = client.post(
        "/clinic/alerts/policy/", {"escalate_after_min": "2", "emergency_escalate_after_min": "5"}
    ).content.decode()
    assert "from 5 to 10080 minutes" in body
    assert not AlertPolicy.objects.exists()
    saved = client.post(
        "/clinic/alerts/policy/", {"escalate_after_min": "15", "emergency_escalate_after_min": "5"}
    )
    assert saved.status_code == 302
    assert AlertPolicy.objects.get(clinic=personas.clinic_a).escalate_after_min == 15
    assert client_for("clinician_a").get("/clinic/alerts/policy/").status_code == 404
