"""The clinic chooses who unacknowledged alerts escalate to; the escalation job follows the choice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.services import escalate_overdue_alerts, raise_alert
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.clinics.selectors import escalation_recipient
from ketacare.clinics.tests.test_staff_administration import _settings_data

pytestmark = pytest.mark.django_db


def test_the_admin_names_a_prescriber_and_escalations_go_to_them(personas: Any) -> None:
    admin = login(Client(), personas.admin_a)
    choice = str(personas.clinician_a.public_id)
    response = admin.post(reverse("clinics:settings"), _settings_data(escalation_contact=choice))
    assert response.status_code == 302
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert escalation_recipient(clinic) == personas.clinician_a
    with transaction.atomic():
        alert = raise_alert(patient=personas.a1, source="red_flag_checkin", severity="emergency", title="x")
    Alert.objects.filter(pk=alert.pk).update(created_at=alert.created_at - dt.timedelta(hours=2))
    escalated = escalate_overdue_alerts(now=alert.created_at + dt.timedelta(hours=1))
    assert [a.escalated_to for a in escalated] == [personas.clinician_a]
    assert (
        "escalate to <strong>Clinician A</strong>" in admin.get(reverse("clinics:settings")).content.decode()
    )


def test_someone_outside_the_clinic_cannot_be_chosen(personas: Any) -> None:
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"), _settings_data(escalation_contact=str(personas.clinician_b.public_id))
    )
    assert response.status_code == 400
    assert Clinic.objects.get(pk=personas.clinic_a.pk).escalation_contact is None


def test_a_contact_who_loses_the_role_falls_back_to_the_longest_standing_admin(personas: Any) -> None:
    clinic = personas.clinic_a
    clinic.escalation_contact = personas.clinician_a
    clinic.save(update_fields=["escalation_contact"])
    StaffMembership.objects.filter(user=personas.clinician_a, clinic=clinic).update(is_active=False)
    assert escalation_recipient(Clinic.objects.get(pk=clinic.pk)) == personas.admin_a
