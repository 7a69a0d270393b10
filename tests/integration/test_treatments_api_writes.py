"""Plans, appointments and the run-sheet's writes through the JSON API (docs/decisions/0019).

The same services and doors as the pages: a prescriber plans, any staff member of the clinic records,
another clinic gets 404, a refused role 403; bad input is a 422 naming the field and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.audit.models import AccessEvent
from ketacare.treatments.models import (
    AdverseEvent,
    Appointment,
    DoseAdministration,
    Observation,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)
from tests.support.pathway import ready_for_plan
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _in_days(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


@pytest.fixture
def prescriber(personas: Any) -> Client:
    return login(Client(), personas.clinician_a)


def _plan_url(personas: Any) -> str:
    return f"/api/v1/patients/{personas.a1.public_id}/plans"


def test_a_prescriber_plans_then_moves_and_adds_appointments(personas: Any, prescriber: Client) -> None:
    ready_for_plan(personas.a1)
    created = _post(
        prescriber,
        _plan_url(personas),
        {"protocol_id": "iv_ketamine", "first_session_at": _in_days(3), "weight_kg": 70},
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["route"] == "iv" and plan["dose_mg"] == 35 and len(plan["appointments"]) >= 6
    assert all(a["session_id"] for a in plan["appointments"])
    listed = prescriber.get(_plan_url(personas)).json()
    assert listed["count"] == 1 and listed["results"][0]["public_id"] == plan["public_id"]

    appointments = prescriber.get(f"/api/v1/patients/{personas.a1.public_id}/appointments?limit=2").json()
    assert appointments["count"] == len(plan["appointments"]) and appointments["next"]
    first = appointments["results"][0]
    moved = _post(
        prescriber,
        f"/api/v1/patients/{personas.a1.public_id}/appointments/{first['public_id']}/reschedule",
        {"starts_at": _in_days(4)},
    )
    assert moved.status_code == 200 and moved.json()["starts_at"] != first["starts_at"]
    session = TreatmentSession.objects.get(public_id=first["session_id"])
    assert session.scheduled_at == Appointment.objects.get(public_id=first["public_id"]).starts_at

    booked = _post(
        prescriber, f"/api/v1/patients/{personas.a1.public_id}/plan/maintenance", {"starts_at": _in_days(60)}
    )
    assert booked.status_code == 201 and booked.json()["phase"] == "maintenance"

    mine = login(Client(), personas.a1.user).get("/api/v1/me/appointments").json()
    assert mine["count"] == len(plan["appointments"]) + 1
    assert set(mine["results"][0]) == {"public_id", "number", "starts_at", "duration_min", "status"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"protocol_id": "iv_ketamine", "first_session_at": "2030-01-01T09:00", "weight_kg": 70},
            "first_session_at",
        ),
        ({"protocol_id": "iv_ketamine", "first_session_at": "soon", "weight_kg": 70}, "first_session_at"),
        ({"protocol_id": "iv_ketamine", "first_session_at": "IN3DAYS"}, "weight_kg"),
        ({"protocol_id": "iv_ketamine", "first_session_at": "IN3DAYS", "weight_kg": 900}, "weight_kg"),
        ({"protocol_id": "no_such", "first_session_at": "IN3DAYS", "weight_kg": 70}, "protocol_id"),
        (
            {
                "protocol_id": "iv_ketamine",
                "first_session_at": "IN3DAYS",
                "weight_kg": 70,
                "maintenance_policy": "x",
            },
            "maintenance_policy",
        ),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field_and_writes_nothing(
    personas: Any, prescriber: Client, body: dict[str, Any], field: str
) -> None:
    ready_for_plan(personas.a1)
    body = {k: (_in_days(3) if v == "IN3DAYS" else v) for k, v in body.items()}
    answer = _post(prescriber, _plan_url(personas), body)
    assert answer.status_code == 422, answer.content
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert not TreatmentPlan.objects.filter(patient=personas.a1).exists()
    assert not Appointment.objects.filter(patient=personas.a1).exists()


def test_planning_is_a_prescribers_decision(personas: Any) -> None:
    ready_for_plan(personas.a1)
    admin = login(Client(), personas.admin_a)
    answer = _post(
        admin,
        _plan_url(personas),
        {"protocol_id": "iv_ketamine", "first_session_at": _in_days(3), "weight_kg": 70},
    )
    assert answer.status_code == 403 and answer.json()["errors"][0]["field"] == "protocol_id"
    assert not TreatmentPlan.objects.filter(patient=personas.a1).exists()
    assert AccessEvent.objects.filter(
        outcome="denied",
        object_type="action",
        object_id="create_patient_plan",
        user_email=personas.admin_a.email,
    ).exists()


def test_the_run_sheets_writes_record_through_the_services(personas: Any, prescriber: Client) -> None:
    scheduled = make_session(personas.a1)
    checked = _post(
        prescriber,
        f"/api/v1/sessions/{scheduled.public_id}/check-in",
        {"weight_kg": 70, "fasting_confirmed": True, "ride_home_confirmed": True},
    )
    assert checked.status_code == 200, checked.content
    assert checked.json()["state"] == "checked_in"

    ready = make_session(personas.a2, state="checked_in")
    dose = _post(
        prescriber, f"/api/v1/sessions/{ready.public_id}/doses", {"dose_mg": 35, "lot_number": "LOT-7"}
    )
    assert dose.status_code == 201, dose.content
    assert DoseAdministration.objects.filter(session=ready, lot_number="LOT-7").exists()

    observing = make_session(personas.a1, state="observing")
    base = f"/api/v1/sessions/{observing.public_id}"
    assert (
        _post(prescriber, f"{base}/observations", {"moaas_score": 4, "dissociation": "mild"}).status_code
        == 201
    )
    event = _post(
        prescriber, f"{base}/adverse-events", {"description": "Vomited twice", "severity": "moderate"}
    )
    assert event.status_code == 201 and event.json()["severity"] == "moderate"
    assert Alert.objects.filter(patient=personas.a1, source="adverse_event").exists()  # the service's alert
    vital = VitalSign.objects.filter(session=observing).latest("id")
    marked = _post(
        prescriber,
        f"{base}/entered-in-error",
        {"kind": "vital", "entry_id": str(vital.public_id), "reason": "Cuff on the wrong patient"},
    )
    assert marked.status_code == 200
    vital.refresh_from_db()
    assert vital.entered_in_error
    assert vital.entered_in_error_reason == "Cuff on the wrong patient"


def test_a_refused_discharge_names_every_unmet_criterion(personas: Any, prescriber: Client) -> None:
    early = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=20)
    refused = _post(prescriber, f"/api/v1/sessions/{early.public_id}/discharge", {"ride_present": True})
    assert refused.status_code == 409
    fields = [e["field"] for e in refused.json()["errors"]]
    assert len(fields) >= 3  # the refusal, then each unmet criterion (time, instructions, ...)
    early.refresh_from_db()
    assert early.state == "observing"
    done = make_session(personas.a2, route="esketamine_in", state="observing", minutes_since_dose_end=125)
    ok = _post(
        prescriber,
        f"/api/v1/sessions/{done.public_id}/discharge",
        {"ride_present": True, "instructions_given": True},
    )
    assert ok.status_code == 200 and ok.json()["state"] == "discharged"


@pytest.mark.parametrize(
    ("path", "state", "body", "field", "model"),
    [
        ("check-in", "scheduled", {"weight_kg": 900}, "weight_kg", None),
        (
            "check-in",
            "scheduled",
            {"weight_kg": 70, "checked_in_at": "2030-01-01T09:00"},
            "checked_in_at",
            None,
        ),
        ("doses", "checked_in", {"dose_mg": "lots", "lot_number": "L"}, "dose_mg", DoseAdministration),
        ("doses", "checked_in", {"dose_mg": 35}, "lot_number", DoseAdministration),
        ("observations", "observing", {"moaas_score": 9, "dissociation": "none"}, "moaas_score", Observation),
        (
            "observations",
            "observing",
            {"moaas_score": 4, "dissociation": "huge"},
            "dissociation",
            Observation,
        ),
        ("adverse-events", "observing", {"description": "x", "severity": "awful"}, "severity", AdverseEvent),
        ("adverse-events", "observing", {"description": "", "severity": "mild"}, "description", AdverseEvent),
        (
            "entered-in-error",
            "observing",
            {"kind": "vital", "entry_id": "nope", "reason": "Wrong patient"},
            "entry_id",
            None,
        ),
        ("cancel", "scheduled", {"reason": ""}, "cancel_reason", None),
    ],
)
def test_bad_session_input_is_refused_naming_the_field_and_writes_nothing(
    personas: Any, prescriber: Client, path: str, state: str, body: dict[str, Any], field: str, model: Any
) -> None:
    session = make_session(personas.a1, state=state)
    before = model.objects.filter(session=session).count() if model else None
    answer = _post(prescriber, f"/api/v1/sessions/{session.public_id}/{path}", body)
    assert answer.status_code == 422, answer.content
    assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    if model is not None:
        assert model.objects.filter(session=session).count() == before
    fresh = TreatmentSession.objects.get(pk=session.pk)
    assert fresh.state == state and fresh.weight_kg == session.weight_kg


def test_an_action_that_does_not_fit_the_sessions_state_is_a_conflict(
    personas: Any, prescriber: Client
) -> None:
    done = make_session(personas.a1, state="discharged")
    answer = _post(prescriber, f"/api/v1/sessions/{done.public_id}/cancel", {"reason": "Too late"})
    assert answer.status_code == 409 and answer.json()["errors"][0]["field"] == "state"


def test_another_clinic_reaches_nothing_whatever_it_sends(personas: Any) -> None:
    session = make_session(personas.a1, state="checked_in", hold=True)
    other = login(Client(), personas.clinician_b)
    for path, body in [
        ("hold-override", {"reason": "x"}),
        ("doses", {"dose_mg": 35, "lot_number": "L"}),
        ("doses", {"nonsense": True}),
        ("cancel", {"reason": "x"}),
    ]:
        assert _post(other, f"/api/v1/sessions/{session.public_id}/{path}", body).status_code == 404
    assert _post(other, _plan_url(personas), {}).status_code == 404
    patient = login(Client(), personas.a1.user)
    assert patient.get(_plan_url(personas)).status_code == 404  # staff only, even for their own record
    session.refresh_from_db()
    assert session.state == "checked_in" and session.hold
    assert not DoseAdministration.objects.filter(session=session).exists()


def test_only_a_prescriber_overrides_a_hold(personas: Any, prescriber: Client) -> None:
    session = make_session(personas.a1, state="checked_in", hold=True)
    url = f"/api/v1/sessions/{session.public_id}/hold-override"
    admin = login(Client(), personas.admin_a)
    assert _post(admin, url, {"reason": "BP settling"}).status_code == 403
    session.refresh_from_db()
    assert session.hold_overridden_at is None
    answer = _post(prescriber, url, {"reason": "BP settling on repeat"})
    assert answer.status_code == 200, answer.content
    session.refresh_from_db()
    assert session.hold_overridden_at is not None
