"""Clinic-level alerts (no patient): only their sources may lack a patient, one per cause, acknowledged
and escalated like the others, resolved only by their cause, and seen only by their clinic's staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction

from ketacare.alerts.models import Alert
from ketacare.alerts.selectors import patient_alerts
from ketacare.alerts.services import (
    AlertOutsideTransactionError,
    AlertTransitionError,
    escalate_overdue_alerts,
    raise_clinic_alert,
    resolve_alert,
    resolve_cause_alert,
)
from ketacare.alerts.tests.helpers import make_alert
from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)


def _raise(clinic: Any, key: str = "register_discrepancy:1", **extra: Any) -> Alert:
    with transaction.atomic():
        return raise_clinic_alert(
            clinic=clinic,
            source="register_count",
            severity="urgent",
            title="Count difference of -500 mg: lot K-1, Safe 1",
            detail="3 vials counted, 4 expected",
            dedupe_key=key,
            evidence={"discrepancy": "d-1"},
            **extra,
        )


def test_a_clinic_alert_has_no_patient_and_one_alert_per_cause(personas: Any) -> None:
    first = _raise(personas.clinic_a)
    assert first.patient is None and first.assignee is None and first.state == "open"
    assert first.clinic == personas.clinic_a and first.evidence == {"discrepancy": "d-1"}
    assert _raise(personas.clinic_a).pk == first.pk  # the same cause again
    other_clinic = _raise(personas.clinic_b)  # the same key elsewhere is another cause
    assert other_clinic.pk != first.pk
    assert _raise(personas.clinic_a, key="register_discrepancy:2").pk != first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            clinic=personas.clinic_a,
            source="register_count",
            severity="urgent",
            title="twin",
            dedupe_key="register_discrepancy:1",
        )
    assert patient_alerts(patient=personas.a1).count() == 0


def test_only_a_clinic_source_may_lack_a_patient(personas: Any) -> None:
    with pytest.raises(ValueError, match="about a patient"), transaction.atomic():
        raise_clinic_alert(clinic=personas.clinic_a, source="red_flag_checkin", severity="urgent", title="x")
    # The database refuses it too, whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            clinic=personas.clinic_a, source="red_flag_checkin", severity="urgent", title="no patient"
        )


def test_a_clinic_alert_is_raised_only_inside_its_causes_transaction(personas: Any) -> None:
    # pytest-django wraps each test in a transaction; leave it to test the guard.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(AlertOutsideTransactionError):
            raise_clinic_alert(
                clinic=personas.clinic_a, source="register_count", severity="urgent", title="x"
            )
    finally:
        connection.in_atomic_block = saved
    assert not Alert.objects.exists()


def test_the_inbox_resolves_it_only_through_its_cause(personas: Any, client_for: Any) -> None:
    alert = _raise(personas.clinic_a)
    client = client_for("clinician_a")
    response = client.post(f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "Looking into it."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == personas.clinician_a
    response = client.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "done"}, follow=True)
    assert "investigation note in the controlled-drug register" in response.content.decode()
    alert.refresh_from_db()
    assert alert.state == "acknowledged"
    api = client.post(f"/api/v1/alerts/{alert.public_id}/resolve", {"note": "done"})
    assert api.status_code == 409 and "investigation note" in api.json()["detail"]
    with pytest.raises(AlertTransitionError):
        resolve_alert(alert=alert, user=personas.admin_a, note="done")
    with transaction.atomic():
        resolved = resolve_cause_alert(
            clinic=personas.clinic_a,
            dedupe_key="register_discrepancy:1",
            user=personas.admin_a,
            note="Vial broken in the sharps bin.",
        )
    assert resolved is not None and resolved.state == "resolved"
    assert (
        resolved.resolved_by == personas.admin_a
        and resolved.resolution_note == "Vial broken in the sharps bin."
    )
    assert (
        resolve_cause_alert(
            clinic=personas.clinic_a, dedupe_key="register_discrepancy:1", user=personas.admin_a, note="again"
        )
        is None
    )


def test_an_open_clinic_alert_escalates_like_the_others(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        alert = _raise(personas.clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        escalated = escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=30))
    assert [a.pk for a in escalated] == [alert.pk]
    alert.refresh_from_db()
    assert alert.escalated_to == personas.admin_a
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin.a@example.org"]
    row = AccessEvent.objects.get(object_type="alert", object_id=str(alert.public_id), action="write")
    assert row.patient_public_id == "" and row.clinic_public_id == str(personas.clinic_a.public_id)
    call_command("escalate_alerts")  # the scheduled command runs over it without error


def test_only_its_clinics_staff_see_it_in_the_inbox_and_the_api(personas: Any, client_for: Any) -> None:
    alert = _raise(personas.clinic_a)
    make_alert(personas.a1, title="A patient's red flag")
    for name in ("clinician_a", "admin_a"):
        client = client_for(name)
        inbox = client.get("/clinic/alerts/").content.decode()
        assert "Count difference of -500 mg" in inbox and "The clinic (no patient)" in inbox
        assert "A patient&#x27;s red flag" in inbox
        detail = client.get(f"/clinic/alerts/{alert.public_id}/")
        assert detail.status_code == 200 and "Clinic A (no patient)" in detail.content.decode()
        listed = {a["title"]: a for a in client.get("/api/v1/alerts/").json()["results"]}
        assert listed["Count difference of -500 mg: lot K-1, Safe 1"]["patient_id"] is None
    assert "Count difference" not in client_for("clinician_b").get("/clinic/alerts/").content.decode()
    for name in ("clinician_b", "a1"):
        assert client_for(name).get(f"/clinic/alerts/{alert.public_id}/").status_code == 404
        assert client_for(name).get(f"/api/v1/alerts/{alert.public_id}").status_code == 404
