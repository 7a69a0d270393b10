"""A plan lays out appointments in the clinic's zone; the .ics files parse with icalendar.

Planning needs the intake steps first (screening, decision, consent: the plan gate), so these tests
live with the other tests that cross record apps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from ketacare.treatments.models import Appointment, TreatmentPlan
from tests.support.pathway import ready_for_plan

pytestmark = pytest.mark.django_db
PLANNED_AT = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def _create(client, patient, **extra):
    if not patient.treatment_plans.exists() and not _gate_done(patient):
        ready_for_plan(patient)
    data = {
        "protocol_id": "iv_ketamine",
        "first_session_at": "2026-12-01T09:00",
        "weight_kg": "70",
        "maintenance_policy": "decide_at_review",
        **extra,
    }
    # Planned a few days before the first session: a first session in the past is refused.
    with time_machine.travel(PLANNED_AT, tick=False):
        return client.post(reverse("treatments:plan", kwargs={"patient_id": personas_id(patient)}), data)


def _gate_done(patient):
    from ketacare.patients import facts

    return bool(facts.plan_gate_facts(patient).decision)


def personas_id(patient):
    return str(patient.public_id)


def test_an_iv_plan_computes_the_dose_from_weight_and_schedules_six_sessions_at_nine_local(
    personas, client_for
):
    response = _create(client_for("clinician_a"), personas.a1)
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    assert float(plan.dose_mg) == 35.0  # 0.5 mg/kg x 70 kg [Murrough2013a], computed by the core
    appointments = list(Appointment.objects.filter(plan=plan))
    assert len(appointments) == 6
    zone = zoneinfo.ZoneInfo("America/New_York")
    assert {a.starts_at.astimezone(zone).time() for a in appointments} == {dt.time(9, 0)}
    assert all(a.session.state == "scheduled" for a in appointments)


def test_an_esketamine_plan_starts_with_two_devices(personas, client_for):
    response = _create(client_for("clinician_a"), personas.a1, protocol_id="esketamine_trd", weight_kg="")
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    assert float(plan.dose_mg) == 56 and plan.devices == 2


def test_a_dose_per_kg_outside_the_protocol_is_refused_naming_the_range(personas, client_for):
    response = _create(client_for("clinician_a"), personas.a1, mg_per_kg="3")
    assert response.status_code == 422
    # Under the "Dose (mg/kg)" field, without its internal name, with its unit and the allowed range.
    body = response.content.decode()
    assert '<span class="field-error" role="alert">3 mg/kg is out of range for IV racemic ketamine' in body
    assert "enter 0.1–1 mg/kg" in body
    assert not TreatmentPlan.objects.exists()


def test_the_clinic_ics_parses_and_holds_every_appointment_in_utc(personas, client_for):
    client = client_for("clinician_a")
    _create(client, personas.a1)
    response = client.get(reverse("treatments:plan_ics", kwargs={"patient_id": personas.a1.public_id}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 6
    first = sorted(e.decoded("dtstart") for e in events)[0]
    assert first == dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)  # 09:00 in New York (EST)


def test_the_patient_ics_names_no_drug(personas, client_for):
    _create(client_for("clinician_a"), personas.a1)
    response = client_for("a1").get(reverse("treatments:my_appointments_ics"))
    calendar = Calendar.from_ical(response.content)
    text = response.content.decode().lower()
    assert len(list(calendar.walk("VEVENT"))) == 6
    assert "ketamine" not in text and "mg" not in text.replace("imgs", "")


def test_a_patient_cannot_reach_another_patients_plan(personas, client_for):
    assert (
        client_for("a1")
        .get(reverse("treatments:plan", kwargs={"patient_id": personas.a2.public_id}))
        .status_code
        == 404
    )
    assert (
        client_for("clinician_b")
        .get(reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id}))
        .status_code
        == 404
    )
