"""A denied look at another clinic's patient is filed under that patient, for that clinic's admin."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import clinic_audit_events

pytestmark = pytest.mark.django_db


def test_probing_another_clinics_patient_shows_in_the_target_clinics_audit_report(
    personas: Any, client_for: Any
) -> None:
    url = f"/clinic/patients/{personas.a1.public_id}/"
    response = client_for("clinician_b").get(url)
    assert response.status_code == 404
    row = AccessEvent.objects.filter(outcome="denied", user_email=personas.clinician_b.email).latest("id")
    assert row.patient_public_id == str(personas.a1.public_id)
    assert row.clinic_public_id == str(personas.clinic_a.public_id)
    assert row in clinic_audit_events(clinic=personas.clinic_a)
    assert row not in clinic_audit_events(clinic=personas.clinic_b)


def test_the_prober_gets_the_same_answer_as_for_a_patient_who_does_not_exist(
    personas: Any, client_for: Any
) -> None:
    client = client_for("clinician_b")
    real = client.get(f"/clinic/patients/{personas.a1.public_id}/")
    missing = client.get("/clinic/patients/00000000-0000-4000-8000-000000000000/")
    assert real.status_code == missing.status_code == 404
    assert real.content == missing.content


def test_the_audit_report_shows_clinic_time(personas: Any, client_for: Any) -> None:
    import datetime as dt
    import zoneinfo

    client_for("clinician_b").get(f"/clinic/patients/{personas.a1.public_id}/")
    row = AccessEvent.objects.filter(outcome="denied").latest("id")
    # Filtered to the patient so the row is on the first page however many rows the clinic has.
    body = (
        client_for("admin_a").get("/clinic/audit/", {"patient": str(personas.a1.public_id)}).content.decode()
    )
    local = row.occurred_at.astimezone(zoneinfo.ZoneInfo(personas.clinic_a.time_zone))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in body
    assert "(clinic time, New York)" in body
    assert local.utcoffset() != dt.timedelta(0)
