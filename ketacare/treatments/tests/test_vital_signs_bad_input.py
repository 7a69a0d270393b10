"""Bad vital signs get a clear error naming the field and range, and nothing is written (docs/security.md S14)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.core.display import vital_name
from ketacare.treatments.models import VitalSign
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_a_systolic_of_400_is_refused_naming_the_field_and_range_and_nothing_is_written(personas, client_for):
    session = make_session(personas.a1, state="observing")
    before = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 400, "diastolic_mmhg": 80, "heart_rate_bpm": 70, "spo2_pct": 98},
    )
    assert response.status_code == 422
    body = response.content.decode()
    # Under the field it names (its label says which), never by its id (staff read it on the run-sheet).
    assert '<span class="field-error" role="alert">400 is out of range 50–300 mmHg</span>' in body
    assert "systolic_mmhg 400" not in body
    assert VitalSign.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("diastolic_mmhg", 10, "20–200"), ("heart_rate_bpm", 300, "20–250"), ("spo2_pct", 40, "50–100")],
)
def test_each_vital_outside_its_physiological_range_is_refused(personas, client_for, field, value, allowed):
    session = make_session(personas.a1, state="observing")
    data = {"systolic_mmhg": 120, "diastolic_mmhg": 80, "heart_rate_bpm": 70, "spo2_pct": 98, field: value}
    before = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}), data
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f'<span class="field-error" role="alert">{value} is out of range {allowed}' in body
    assert f"{field} {value}" not in body and f"{vital_name(field)} {value}" not in body
    assert VitalSign.objects.count() == before


def test_the_api_answers_422_naming_systolic_mmhg_and_its_range(personas, client_for):
    session = make_session(personas.a1, state="observing")
    before = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        f"/api/v1/sessions/{session.public_id}/vitals",
        data=json.dumps({"systolic_mmhg": 400, "diastolic_mmhg": 80}),
        content_type="application/json",
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "systolic_mmhg"
    assert "50–300" in error["message"]
    assert VitalSign.objects.count() == before


def test_the_api_records_valid_vitals_as_json(personas, client_for):
    session = make_session(personas.a1, state="observing")
    response = client_for("clinician_a").post(
        f"/api/v1/sessions/{session.public_id}/vitals",
        data=json.dumps({"systolic_mmhg": 130, "diastolic_mmhg": 82, "heart_rate_bpm": 75, "spo2_pct": 97}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "in_session"
    assert set(response.json()) == {
        "public_id",
        "kind",
        "measured_at",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "spo2_pct",
        "flags",
        "entered_in_error",
        "entered_in_error_reason",
        "entered_in_error_by",
        "entered_in_error_at",
    }


def test_the_api_rejects_a_wrong_type_with_422(personas, client_for):
    session = make_session(personas.a1, state="observing")
    response = client_for("clinician_a").post(
        f"/api/v1/sessions/{session.public_id}/vitals",
        data=json.dumps({"systolic_mmhg": "high", "diastolic_mmhg": 80}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "systolic_mmhg"


def test_a_time_before_the_session_started_is_refused(personas, client_for):
    session = make_session(personas.a1, state="observing")
    before_start = session.checked_in_at - dt.timedelta(minutes=30)
    local = before_start.astimezone(zoneinfo.ZoneInfo(personas.clinic_a.time_zone))
    count = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 120, "diastolic_mmhg": 80, "measured_at": local.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 422
    assert "is before the session started" in response.content.decode()
    assert VitalSign.objects.count() == count


def test_a_time_on_a_later_day_is_refused_naming_that_day(personas, client_for):
    session = make_session(personas.a1, state="observing")
    tomorrow = timezone.now() + dt.timedelta(days=1)
    local = tomorrow.astimezone(zoneinfo.ZoneInfo(personas.clinic_a.time_zone))
    count = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 120, "diastolic_mmhg": 80, "measured_at": local.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 422
    # "10:00 is in the future (now 17:11)" alone reads as nonsense for tomorrow's 10:00.
    assert f'role="alert">{local:%a %d %b %H:%M} is in the future' in response.content.decode()
    assert VitalSign.objects.count() == count


def test_another_clinics_patient_is_a_404_and_nothing_is_written(personas, client_for):
    session = make_session(personas.b1, state="observing")
    count = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 120, "diastolic_mmhg": 80},
    )
    assert response.status_code == 404
    api = client_for("clinician_a").post(
        f"/api/v1/sessions/{session.public_id}/vitals",
        data=json.dumps({"systolic_mmhg": 120, "diastolic_mmhg": 80}),
        content_type="application/json",
    )
    assert api.status_code == 404
    assert VitalSign.objects.count() == count
