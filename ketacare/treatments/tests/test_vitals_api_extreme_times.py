"""A measured_at at the edge of the calendar is a 422 naming the field, not a 500 (docs/security.md S14).

Found by the API fuzzer (tests/security/test_api_fuzzing.py): year 1 shifted into New York, or
year 9999 shifted into Berlin, overflowed while the error message was being built.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments.models import VitalSign
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("patient", "clinician", "measured_at"),
    [
        ("a1", "clinician_a", "0001-01-01T02:03:03Z"),  # clinic A: America/New_York, before year 1
        ("b1", "clinician_b", "9999-12-31T23:30:00Z"),  # clinic B: Europe/Berlin, after year 9999
    ],
)
def test_a_time_outside_the_calendar_is_refused_naming_measured_at(
    personas: Any, client_for: Any, patient: str, clinician: str, measured_at: str
) -> None:
    session = make_session(getattr(personas, patient), state="observing")
    before = VitalSign.objects.count()
    response = client_for(clinician).post(
        reverse("api:record_session_vitals", kwargs={"session_id": session.public_id}),
        json.dumps({"systolic_mmhg": 120, "diastolic_mmhg": 80, "measured_at": measured_at}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["measured_at"]
    assert "out of range" in response.json()["detail"]
    assert VitalSign.objects.count() == before
