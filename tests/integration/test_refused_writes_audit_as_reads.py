"""A write the run-sheet or the plan page refused leaves no "write · granted" audit row (docs/decisions/0029).

The access's row commits with the service's write. When nothing is written — the service refused (an
open hold, vital signs out of range, discharge too early, a role), the form was rejected, or the write
rolled back — the request's row is the read it was: the record was opened and shown again with the
reason. The audit report says that change as tried, not done.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.audit.models import AccessEvent
from ketacare.lib.errors import FieldError
from ketacare.questionnaires.models import QuestionnaireAssignment
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession, VitalSign
from ketacare.treatments.services import check_in_session
from ketacare.treatments.signals import dose_recorded
from tests.support.pathway import make_nurse
from tests.support.treatments import make_planned_session, make_session

pytestmark = pytest.mark.django_db

DOSE = {"dose_mg": "35", "lot_number": "LOT-7"}
READY = {"ride_present": "on", "instructions_given": "on"}


def _post(client: Client, name: str, session: TreatmentSession, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(reverse(f"treatments:{name}", kwargs={"session_id": session.public_id}), data, **extra)


def _rows(response: Any) -> list[tuple[str, str, str, str]]:
    """The request's audit rows: (action, outcome, object type, patient)."""
    return list(
        AccessEvent.objects.filter(request_id=response["X-Request-ID"])
        .order_by("id")
        .values_list("action", "outcome", "object_type", "patient_public_id")
    )


def _read_only(response: Any, patient: Any) -> None:
    rows = _rows(response)
    assert ("write", "granted") not in {(action, outcome) for action, outcome, _, _ in rows}, rows
    assert rows == [("read", "granted", "patient", str(patient.public_id))], rows


def test_a_dose_refused_for_an_open_hold_leaves_a_read_not_a_granted_write(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in", hold=True)
    response = _post(client_for("clinician_a"), "dose", session, DOSE)
    assert response.status_code == 422
    assert "pre-dose hold is on" in response.content.decode()
    assert not DoseAdministration.objects.filter(session=session).exists()
    _read_only(response, personas.a1)


def test_vital_signs_out_of_range_leave_a_read_not_a_granted_write(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="observing")
    before = VitalSign.objects.filter(session=session).count()
    response = _post(
        client_for("clinician_a"),
        "vitals",
        session,
        {"systolic_mmhg": "400", "diastolic_mmhg": "80", "heart_rate_bpm": "70", "spo2_pct": "98"},
    )
    assert response.status_code == 422
    assert "400 is out of range 50–300 mmHg" in response.content.decode()
    assert VitalSign.objects.filter(session=session).count() == before
    _read_only(response, personas.a1)


def test_a_discharge_refused_as_too_early_leaves_a_read_not_a_granted_write(
    personas: Any, client_for: Any
) -> None:
    # Esketamine's two hours of observation yield to no override, a prescriber's neither.
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    response = _post(
        client_for("clinician_a"), "discharge", session, {**READY, "override_reason": "Patient wants to go"}
    )
    assert response.status_code == 422
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.OBSERVING
    _read_only(response, personas.a1)


def test_a_recorded_dose_keeps_its_granted_write_in_the_doses_transaction(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    client = client_for("clinician_a")
    outer = len(connection.atomic_blocks)  # the test's own transaction, if any
    writes: list[tuple[str, int | None]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT"):
            blocks = connection.atomic_blocks
            writes.append((sql[:60], id(blocks[outer]) if len(blocks) > outer else None))
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(spy):
        response = _post(client, "dose", session, DOSE)
    assert response.status_code == 302
    assert DoseAdministration.objects.filter(session=session).count() == 1
    assert _rows(response) == [("write", "granted", "patient", str(personas.a1.public_id))]
    audit = [block for sql, block in writes if "audit_accessevent" in sql]
    dose = [block for sql, block in writes if "treatments_doseadministration" in sql]
    # One transaction the request opened holds both: the row commits with the dose, or neither does.
    assert len(audit) == 1 and len(dose) == 1 and audit == dose and dose[0] is not None, writes


def test_a_dose_whose_transaction_rolls_back_after_its_insert_leaves_no_granted_write(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")

    def refuse(**kwargs: Any) -> None:
        raise FieldError("dose_mg", "the register refused this dose")

    dose_recorded.connect(refuse, dispatch_uid="test.refuse_after_insert")
    try:
        response = _post(client_for("clinician_a"), "dose", session, DOSE)
    finally:
        dose_recorded.disconnect(dispatch_uid="test.refuse_after_insert")
    assert response.status_code == 422
    assert not DoseAdministration.objects.filter(session=session).exists()
    _read_only(response, personas.a1)


def test_a_role_refusal_at_the_run_sheet_leaves_a_read(personas: Any) -> None:
    session = make_session(personas.a1, state="checked_in", hold=True)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    reason = {"hold_override_reason": "Repeat reading lower; benefit outweighs risk"}
    redirected = _post(nurse, "hold_override", session, reason)
    assert redirected.status_code == 302
    _read_only(redirected, personas.a1)
    swapped = _post(nurse, "hold_override", session, reason, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200
    _read_only(swapped, personas.a1)
    session.refresh_from_db()
    assert session.hold_overridden_at is None


@pytest.mark.parametrize(
    "name",
    [
        "check_in",
        "check_in_confirmations",
        "vitals",
        "hold_override",
        "dose",
        "end_dosing",
        "observation",
        "adverse_event",
        "entered_in_error",
        "discharge",
        "cancel",
    ],
)
def test_every_run_sheet_write_refused_on_a_discharged_session_leaves_a_read(
    personas: Any, client_for: Any, name: str
) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    response = _post(client_for("clinician_a"), name, session, {})
    assert response.status_code == 422, response.content[:300]
    _read_only(response, personas.a1)


def test_a_plan_refused_for_a_role_leaves_the_denied_action_and_a_read(
    personas: Any, client_for: Any
) -> None:
    response = client_for("admin_a").post(
        reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id}),
        {
            "protocol_id": "iv_ketamine",
            "first_session_at": (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT10:30"),
            "weight_kg": "70",
            "maintenance_policy": "decide_at_review",
        },
    )
    assert response.status_code == 403
    assert not TreatmentPlan.objects.filter(patient=personas.a1).exists()
    rows = _rows(response)
    assert ("write", "granted") not in {(a, o) for a, o, _, _ in rows}, rows
    assert ("read", "granted", "patient", str(personas.a1.public_id)) in rows
    assert ("write", "denied", "action", str(personas.a1.public_id)) in rows


def _pre_dose_phq9(patient: Any) -> tuple[TreatmentSession, QuestionnaireAssignment]:
    session = make_planned_session(patient)
    check_in_session(
        session=session,
        user=patient.primary_clinician,
        weight_kg=70.0,
        fasting_confirmed=True,
        ride_home_confirmed=True,
    )
    assignment = QuestionnaireAssignment.objects.get(
        patient=patient,
        instrument_id="phq9",
        reason="before_session",
        schedule_key__contains=str(session.appointment.public_id),
    )
    return session, assignment


def test_a_pre_dose_questionnaire_sent_twice_is_written_once_and_read_once(
    personas: Any, client_for: Any
) -> None:
    session, assignment = _pre_dose_phq9(personas.a1)
    client = client_for("clinician_a")
    url = reverse(
        "treatments:pre_dose_questionnaire",
        kwargs={"session_id": session.public_id, "assignment_id": assignment.public_id},
    )
    answers = {f"phq9.q{i}": "1" for i in range(1, 10)} | {"idempotency_key": uuid.uuid4().hex}
    first = client.post(url, answers)
    assert first.status_code == 302
    assert _rows(first) == [("write", "granted", "patient", str(personas.a1.public_id))]
    again = client.post(url, answers)
    assert again.status_code == 302
    _read_only(again, personas.a1)


def _report_rows(client: Client) -> list[str]:
    page = client.get(reverse("audit:report")).content.decode()
    return re.findall(r"<tr[ >].*?</tr>", page.split("<tbody>", 1)[1], flags=re.S)


def test_the_audit_report_says_a_refused_dose_was_tried_and_a_recorded_one_done(
    personas: Any, client_for: Any
) -> None:
    held = make_session(personas.a1, state="checked_in", hold=True)
    ready = make_session(personas.a2, state="checked_in")
    prescriber = client_for("clinician_a")
    assert _post(prescriber, "dose", held, DOSE).status_code == 422
    assert _post(prescriber, "dose", ready, DOSE).status_code == 302

    rows = _report_rows(client_for("admin_a"))
    refused = [r for r in rows if personas.a1.full_name in r and "Record dose" in r]
    assert refused and all(
        "<td>Read</td><td>Granted</td><td>Patient record</td><td>Tried: Record dose</td>" in r
        for r in refused
    ), refused
    done = [r for r in rows if personas.a2.full_name in r and "Record dose" in r]
    assert done and all(
        "<td>Write</td><td>Granted</td><td>Patient record</td><td>Record dose</td>" in r for r in done
    ), done
