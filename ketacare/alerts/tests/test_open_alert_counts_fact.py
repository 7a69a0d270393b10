"""The alerts app answers the patients' "open_alert_counts" fact: unresolved alerts by severity, most
severe first, shown in the "Now" block of the patient's record with a link to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.patients import facts

pytestmark = pytest.mark.django_db


def _alert(patient: Any, severity: str, key: str, state: str = Alert.State.OPEN) -> Alert:
    with transaction.atomic():
        alert = raise_alert(
            patient=patient,
            source=Alert.Source.RED_FLAG_CHECKIN,
            severity=severity,
            title="Red flag in check-in: chest pain",
            dedupe_key=key,
        )
    Alert.objects.filter(pk=alert.pk).update(state=state)
    return alert


def test_unresolved_alerts_are_counted_by_severity_most_severe_first(personas: Any) -> None:
    a1 = personas.a1
    _alert(a1, Alert.Severity.URGENT, "u1")
    for n in range(4):
        _alert(
            a1, Alert.Severity.EMERGENCY, f"e{n}", Alert.State.ACKNOWLEDGED if n == 0 else Alert.State.OPEN
        )
    _alert(a1, Alert.Severity.INFO, "resolved", Alert.State.RESOLVED)
    _alert(personas.a2, Alert.Severity.EMERGENCY, "other patient")
    assert facts.open_alert_counts(a1) == [
        facts.OpenAlerts("emergency", "Emergency", 4, 1),
        facts.OpenAlerts("urgent", "Urgent", 1, 0),
    ]
    assert facts.open_alert_counts(personas.b1) == []


def test_the_patient_record_shows_them_with_a_link(personas: Any, client_for: Any) -> None:
    a1 = personas.a1
    for n in range(4):
        _alert(a1, Alert.Severity.EMERGENCY, f"e{n}")
    page = client_for("clinician_a").get(reverse("patients:detail", kwargs={"patient_id": a1.public_id}))
    body = page.content.decode()
    assert '<strong>Open alerts:</strong>\n      <span class="sev sev-emergency">4 Emergency</span>' in body
    assert (
        reverse("checkins:staff_checkins", kwargs={"patient_id": a1.public_id}) + '">See the alerts</a>'
        in body
    )
