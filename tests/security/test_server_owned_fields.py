"""Server-owned fields cannot be written through the API (security.md #3).

Every POST operation of the OpenAPI document gets a valid body plus a set of forged server-owned
fields (another clinic's patient, clinic and author, our own public id, old timestamps, computed
scores, triage levels, risk flags, states). The request is either refused with nothing written,
or accepted with every forged value ignored: the stored row belongs to the caller's own patient
and clinic, no foreign key points into the other clinic, and no field holds a forged value.
A POST operation without an entry here fails `test_every_post_operation_has_a_write_case`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

FORGED_PUBLIC_ID = "00000000-0000-4000-8000-00000000f0f0"
FORGED_TIME = "2001-01-01T00:00:00+00:00"


def forged_fields(personas: Any, foreign_session: Any) -> dict[str, Any]:
    """Plausible values a client must not be able to set (pointing into the other clinic)."""
    b1, clinic_b, clinician_b = personas.b1, personas.clinic_b, personas.clinician_b
    return {
        "public_id": FORGED_PUBLIC_ID,
        # Ownership and authorship: by public id, and by database id.
        "patient": str(b1.public_id),
        "patient_id": b1.pk,
        "clinic": str(clinic_b.public_id),
        "clinic_id": clinic_b.pk,
        "created_by": str(clinician_b.public_id),
        "created_by_id": clinician_b.pk,
        "session": str(foreign_session.public_id),
        "session_id": foreign_session.pk,
        "assignee": str(clinician_b.public_id),
        "acknowledged_by": str(clinician_b.public_id),
        "resolved_by": str(clinician_b.public_id),
        "decided_by": str(clinician_b.public_id),
        "error_marked_by": str(clinician_b.public_id),
        "entered_in_error_by": str(clinician_b.public_id),
        "entered_in_error_by_id": clinician_b.pk,
        # Timestamps.
        "created_at": FORGED_TIME,
        "submitted_at": FORGED_TIME,
        "written_at": FORGED_TIME,
        "recorded_at": FORGED_TIME,
        "assessed_at": FORGED_TIME,
        "acknowledged_at": FORGED_TIME,
        "resolved_at": FORGED_TIME,
        "escalated_at": FORGED_TIME,
        "decided_at": FORGED_TIME,
        "error_marked_at": FORGED_TIME,
        "entered_in_error_at": FORGED_TIME,
        "ended_at": FORGED_TIME,
        "ended_by": str(clinician_b.public_id),
        "ended_by_id": clinician_b.pk,
        "dose_started_at": FORGED_TIME,
        # Computed scores, triage, risk flags and states.
        "total": 27,
        "band": "Severe",
        "subscores": {"forged": 1},
        "item_alerts": [{"code": "forged"}],
        "instrument_version": "0-forged",
        "triage_level": "emergency",
        "triage_result": {"forged": True},
        "minutes_since_dose": 1.5,
        "route": "esketamine_in",
        "mood_0_10": 0,
        "flags": [{"code": "forged"}],
        "kind": "pre_dose",
        "eligibility": "not_eligible",
        "reasons": [{"id": "forged"}],
        "unrecognised_medications": ["forged"],
        "rems_form_items": ["forged"],
        "decision": "not_eligible",
        "decision_note": "forged",
        "status": "entered_in_error",
        "entered_in_error": True,
        "error_reason": "forged",
        "entered_in_error_reason": "forged",
        "state": "open",
        "severity": "info",
        "source": "missed_checkin",
        "title": "Forged",
        "detail": "Forged",
        "dedupe_key": "forged",
        "evidence": {"forged": True},
    }


@dataclass(frozen=True)
class Write:
    """One POST operation: who calls it, on what, with which valid body, and which row it writes."""

    persona: str
    model: str  # "app_label.Model" of the row written or changed
    body: Callable[[Any], dict[str, Any]]
    # Builds the path parameters from the Context; None: the operation has none.
    kwargs: Callable[[Any], dict[str, str]] | None = None
    form: bool = False
    # The row changed when the operation updates an existing one (by public id in kwargs).
    updates: str | None = None
    # Rows that are not one patient's record (a new patient, a staff invitation) say whom they must
    # belong to instead: check(row, ctx) asserts it. None: the row is patient A1's, in clinic A.
    check: Callable[[Any, Any], None] | None = None


@dataclass
class Context:
    personas: Any
    own_session: Any
    open_alert: Any
    acknowledged_alert: Any
    extra: dict[str, Any] = field(default_factory=dict)


def _idem(ctx: Any) -> str:
    return uuid.uuid4().hex


WRITES: dict[tuple[str, str], Write] = {
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Write(
        "clinician_a",
        "alerts.Alert",
        body=lambda c: {"note": "Called the patient; safe at home."},
        kwargs=lambda c: {"alert_id": str(c.open_alert.public_id)},
        form=True,
        updates="alert_id",
    ),
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): Write(
        "clinician_a",
        "alerts.Alert",
        body=lambda c: {"note": "Resolved after a call."},
        kwargs=lambda c: {"alert_id": str(c.acknowledged_alert.public_id)},
        form=True,
        updates="alert_id",
    ),
    ("POST", "/api/v1/patients/{patient_id}/intake/medications"): Write(
        "clinician_a",
        "intake.MedicationList",
        body=lambda c: {"medications": ["sertraline 50 mg daily"], "drug_classes": []},
        kwargs=lambda c: {"patient_id": str(c.personas.a1.public_id)},
    ),
    ("POST", "/api/v1/patients/{patient_id}/intake/screening"): Write(
        "clinician_a",
        "intake.ScreeningAssessment",
        body=lambda c: {"conditions": [], "all_items_asked": True},
        kwargs=lambda c: _medicines_of_a1(c),
    ),
    ("POST", "/api/v1/sessions/{session_id}/vitals"): Write(
        "clinician_a",
        "treatments.VitalSign",
        body=lambda c: {"systolic_mmhg": 124, "diastolic_mmhg": 80, "heart_rate_bpm": 72, "spo2_pct": 98},
        kwargs=lambda c: {"session_id": str(c.own_session.public_id)},
    ),
    ("POST", "/api/v1/me/checkins"): Write(
        "a1", "checkins.SymptomCheckin", body=lambda c: {"idempotency_key": _idem(c), "mood": 6}
    ),
    ("POST", "/api/v1/me/questionnaires"): Write(
        "a1",
        "questionnaires.QuestionnaireResponse",
        body=lambda c: {
            "idempotency_key": _idem(c),
            "instrument_id": "phq9",
            "answers": {f"phq9.q{i}": 0 for i in range(1, 10)},
        },
    ),
    ("POST", "/api/v1/me/journal"): Write(
        "a1", "journal.JournalEntry", body=lambda c: {"idempotency_key": _idem(c), "text": "A calm day."}
    ),
    ("POST", "/api/v1/patients"): Write(
        "clinician_a",
        "patients.Patient",
        body=lambda c: {
            "full_name": "Written Patient",
            "date_of_birth": "1980-01-02",
            "sex": "female",
            "email": "written.patient@example.org",
        },
        check=lambda row, c: _owned_by_clinic_a(
            row, c, author=c.personas.clinician_a, author_field="created_by"
        ),
    ),
    ("POST", "/api/v1/patients/{patient_id}/invitation"): Write(
        "clinician_a",
        "patients.PatientInvitation",
        body=lambda c: {},
        kwargs=lambda c: {"patient_id": str(_uninvited_patient(c).public_id)},
        check=lambda row, c: _owned_by_clinic_a(
            row, c, author=c.personas.clinician_a, author_field="sent_by"
        ),
    ),
    ("POST", "/api/v1/staff/invitations"): Write(
        "admin_a",
        "clinics.StaffInvitation",
        body=lambda c: {"email": "written.nurse@example.org", "role": "nurse"},
        check=lambda row, c: _invited_to_clinic_a(row, c),
    ),
    # Sending again writes a new invitation (the same address, role and clinics); withdrawing ends one.
    ("POST", "/api/v1/staff/invitations/{invitation_id}/resend"): Write(
        "admin_a",
        "clinics.StaffInvitation",
        body=lambda c: {},
        kwargs=lambda c: _pending_invitation_to_clinic_a(c),
        check=lambda row, c: _invited_to_clinic_a(row, c),
    ),
    ("POST", "/api/v1/staff/invitations/{invitation_id}/withdraw"): Write(
        "admin_a",
        "clinics.StaffInvitation",
        body=lambda c: {},
        kwargs=lambda c: _pending_invitation_to_clinic_a(c),
        updates="invitation_id",
        check=lambda row, c: _withdrawn_at_clinic_a(row, c),
    ),
    # Plans, appointments and the run-sheet's writes (treatments): the row is A1's, in clinic A; a plan and
    # its appointments are A2's, since A1 has an active plan (the context's session in the chair) and a
    # patient has one at a time (docs/decisions/0032).
    ("POST", "/api/v1/patients/{patient_id}/plans"): Write(
        "clinician_a",
        "treatments.TreatmentPlan",
        body=lambda c: {"protocol_id": "iv_ketamine", "first_session_at": _in_days(3), "weight_kg": 70},
        kwargs=lambda c: _ready_a2(c),
        check=lambda row, c: _a2s(row, c),
    ),
    # Ending a plan: who ended it and when are the server's (the caller, now), whatever the body says.
    ("POST", "/api/v1/patients/{patient_id}/plans/{plan_id}/end"): Write(
        "clinician_a",
        "treatments.TreatmentPlan",
        body=lambda c: {"ended_as": "discontinued", "end_reason": "Stopped at the patient's request"},
        kwargs=lambda c: _a2_plan(c),
        updates="plan_id",
        check=lambda row, c: _ended_by_the_caller(row, c),
    ),
    ("POST", "/api/v1/patients/{patient_id}/appointments/{appointment_id}/reschedule"): Write(
        "clinician_a",
        "treatments.Appointment",
        body=lambda c: {"starts_at": _in_days(5)},
        kwargs=lambda c: _planned_a2(c),
        updates="appointment_id",
        check=lambda row, c: _a2s(row, c),
    ),
    ("POST", "/api/v1/patients/{patient_id}/plan/maintenance"): Write(
        "clinician_a",
        "treatments.Appointment",
        body=lambda c: {"starts_at": _in_days(40)},
        kwargs=lambda c: _planned_a2(c),
        check=lambda row, c: _a2s(row, c),
    ),
    ("POST", "/api/v1/sessions/{session_id}/check-in"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"weight_kg": 70, "fasting_confirmed": True, "ride_home_confirmed": True},
        kwargs=lambda c: _a1_session(c, state="scheduled"),
        updates="session_id",
    ),
    ("POST", "/api/v1/sessions/{session_id}/hold-override"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"reason": "Repeat BP trending down"},
        kwargs=lambda c: _a1_session(c, state="checked_in", hold=True),
        updates="session_id",
    ),
    ("POST", "/api/v1/sessions/{session_id}/pre-dose-questionnaires/{instrument_id}/skip"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"reason": "Patient arrived late"},
        kwargs=lambda c: {
            **_a1_session(c, state="checked_in", questionnaires_due=True),
            "instrument_id": "gad7",
        },
        updates="session_id",
        check=lambda row, c: _pre_dose_record_is_a1s(row, c),
    ),
    ("POST", "/api/v1/sessions/{session_id}/pre-dose-questionnaires/{instrument_id}/answers"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"answers": {f"phq9.q{n}": 0 for n in range(1, 10)}},
        kwargs=lambda c: {
            **_a1_session(c, state="checked_in", questionnaires_due=True),
            "instrument_id": "phq9",
        },
        updates="session_id",
        check=lambda row, c: _pre_dose_record_is_a1s(row, c),
    ),
    ("POST", "/api/v1/sessions/{session_id}/doses"): Write(
        "clinician_a",
        "treatments.DoseAdministration",
        body=lambda c: {"dose_mg": 35, "lot_number": "LOT-7"},
        kwargs=lambda c: _a1_session(c, state="checked_in"),
    ),
    ("POST", "/api/v1/sessions/{session_id}/doses/end"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {},
        kwargs=lambda c: _a1_session(c, state="dosing"),
        updates="session_id",
    ),
    ("POST", "/api/v1/sessions/{session_id}/observations"): Write(
        "clinician_a",
        "treatments.Observation",
        body=lambda c: {"moaas_score": 5, "dissociation": "none"},
        kwargs=lambda c: {"session_id": str(c.own_session.public_id)},
    ),
    ("POST", "/api/v1/sessions/{session_id}/adverse-events"): Write(
        "clinician_a",
        "treatments.AdverseEvent",
        body=lambda c: {"description": "Nausea", "severity": "mild"},
        kwargs=lambda c: {"session_id": str(c.own_session.public_id)},
    ),
    ("POST", "/api/v1/sessions/{session_id}/entered-in-error"): Write(
        # The entry is marked (that is the operation); the session answered must stay A1's.
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {
            "kind": "vital",
            "entry_id": str(c.own_session.vitals.latest("id").public_id),
            "reason": "Recorded against the wrong patient",
        },
        kwargs=lambda c: {"session_id": str(c.own_session.public_id)},
        updates="session_id",
        check=lambda row, c: _correction_by_the_caller(row, c),
    ),
    ("POST", "/api/v1/sessions/{session_id}/discharge"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"ride_present": True, "instructions_given": True},
        kwargs=lambda c: _a1_session(c, state="observing", minutes_since_dose_end=125),
        updates="session_id",
    ),
    ("POST", "/api/v1/sessions/{session_id}/cancel"): Write(
        "clinician_a",
        "treatments.TreatmentSession",
        body=lambda c: {"reason": "Unwell today"},
        kwargs=lambda c: _a1_session(c, state="scheduled"),
        updates="session_id",
    ),
    # Tokens and backend clients (interop): the row is the caller's, whatever was forged.
    ("POST", "/api/v1/me/tokens"): Write(
        "a1",
        "interop.AccessToken",
        body=lambda c: {"name": "script", "scopes": "api/read", "days": 1},
        form=True,
        check=lambda row, c: _token_of_a1(row, c),
    ),
    ("POST", "/api/v1/clinic/fhir-clients"): Write(
        "admin_a",
        "interop.BackendClient",
        body=lambda c: {"name": "EHR", "jwks": _client_jwks(), "scopes": "system/*.rs"},
        form=True,
        check=lambda row, c: _client_of_clinic_a(row, c),
    ),
    ("POST", "/api/v1/clinic/webhooks"): Write(
        "admin_a",
        "interop.WebhookEndpoint",
        body=lambda c: {"url": "https://ehr.example.org/hooks", "secret": "w" * 40},
        form=True,
        check=lambda row, c: _owned_by_clinic_a(row, c, author=c.personas.admin_a, author_field="created_by"),
    ),
    # Revocations take no body; a POST to them is refused (405) and writes nothing.
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Write(
        "a1", "interop.AccessToken", body=lambda c: {}, kwargs=lambda c: _own_token_id(c)
    ),
    ("DELETE", "/api/v1/clinic/webhooks/{webhook_id}"): Write(
        "admin_a", "interop.WebhookEndpoint", body=lambda c: {}, kwargs=lambda c: _own_webhook_id(c)
    ),
    ("DELETE", "/api/v1/clinic/fhir-clients/{client_id}"): Write(
        "admin_a", "interop.BackendClient", body=lambda c: {}, kwargs=lambda c: _own_client_id(c)
    ),
}


def _in_days(days: int) -> str:
    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


def _medicines_of_a1(ctx: Any) -> dict[str, str]:
    from tests.support.pathway import medicines_on_file

    medicines_on_file(ctx.personas.a1, ctx.personas.clinician_a)
    return {"patient_id": str(ctx.personas.a1.public_id)}


def _ready_a2(ctx: Any) -> dict[str, str]:
    from tests.support.pathway import ready_for_plan

    ready_for_plan(ctx.personas.a2)
    return {"patient_id": str(ctx.personas.a2.public_id)}


def _a2s(row: Any, ctx: Any) -> None:
    assert row.patient_id == ctx.personas.a2.pk and row.clinic_id == ctx.personas.clinic_a.pk


def _planned_a2(ctx: Any) -> dict[str, str]:
    from ketacare.treatments.services import create_treatment_plan

    _ready_a2(ctx)
    plan = create_treatment_plan(
        patient=ctx.personas.a2,
        user=ctx.personas.clinician_a,
        protocol_id="iv_ketamine",
        preset_id=None,
        first_session_at=dt.datetime.fromisoformat(_in_days(2)),
        weight_kg=70.0,
    )
    return {
        "patient_id": str(ctx.personas.a2.public_id),
        "appointment_id": str(plan.appointments.order_by("starts_at").first().public_id),
    }


def _a2_plan(ctx: Any) -> dict[str, str]:
    from ketacare.treatments.models import TreatmentPlan

    ids = _planned_a2(ctx)
    plan = TreatmentPlan.objects.get(appointments__public_id=ids["appointment_id"])
    return {"patient_id": ids["patient_id"], "plan_id": str(plan.public_id)}


def _ended_by_the_caller(row: Any, ctx: Any) -> None:
    """The plan stays A2's; its ending is the caller's, now, as sent."""
    _a2s(row, ctx)
    assert row.status == "ended" and row.ended_as == "discontinued"
    assert row.ended_by_id == ctx.personas.clinician_a.pk
    assert row.ended_at is not None and row.ended_at.year != 2001


def _a1_session(ctx: Any, **options: Any) -> dict[str, str]:
    """A1's session in the state the operation needs."""
    from tests.support.treatments import make_session

    return {"session_id": str(make_session(ctx.personas.a1, **options).public_id)}


def _pre_dose_record_is_a1s(session: Any, ctx: Any) -> None:
    """The pre-dose questionnaire record the write left: A1's, in clinic A, by the caller, timed now."""
    from ketacare.treatments.models import PreDoseQuestionnaire

    assert session.patient_id == ctx.personas.a1.pk and session.clinic_id == ctx.personas.clinic_a.pk
    record = PreDoseQuestionnaire.objects.get(session=session)
    assert record.patient_id == ctx.personas.a1.pk and record.clinic_id == ctx.personas.clinic_a.pk
    assert record.created_by_id == ctx.personas.clinician_a.pk and record.recorded_at.year != 2001


def _client_jwks() -> str:
    from joserfc.jwk import ECKey

    return json.dumps({"keys": [ECKey.generate_key("P-384", parameters={"kid": "w"}).as_dict(private=False)]})


def _own_token_id(ctx: Any) -> dict[str, str]:
    from django.utils import timezone

    from ketacare.interop.services import create_personal_token

    _, row = create_personal_token(
        user=ctx.personas.a1.user, name="w", scopes="api/read", days=1, now=timezone.now()
    )
    return {"token_id": str(row.public_id)}


def _own_webhook_id(ctx: Any) -> dict[str, str]:
    from ketacare.interop.webhooks import register_webhook

    hook = register_webhook(
        clinic=ctx.personas.clinic_a, url="https://ehr.example.org/h", secret="w" * 40, events="",
        by=ctx.personas.admin_a,
    )  # fmt: skip
    return {"webhook_id": str(hook.public_id)}


def _own_client_id(ctx: Any) -> dict[str, str]:
    from ketacare.interop.services import register_backend_client

    client = register_backend_client(
        clinic=ctx.personas.clinic_a, name="w", jwks=json.loads(_client_jwks()), scopes="system/*.rs",
        by=ctx.personas.admin_a,
    )  # fmt: skip
    return {"client_id": str(client.public_id)}


def _correction_by_the_caller(row: Any, ctx: Any) -> None:
    """The session stays A1's; the entry's correction is the caller's, now, with the reason sent."""
    assert row.patient_id == ctx.personas.a1.pk and row.clinic_id == ctx.personas.clinic_a.pk
    vital = row.vitals.latest("id")
    assert vital.entered_in_error
    assert vital.entered_in_error_by_id == ctx.personas.clinician_a.pk
    assert vital.entered_in_error_at is not None and vital.entered_in_error_at.year != 2001
    assert vital.entered_in_error_reason == "Recorded against the wrong patient"


def _token_of_a1(row: Any, ctx: Any) -> None:
    assert row.user_id == ctx.personas.a1.user.pk and row.kind == "personal"
    assert row.client_id is None and row.clinic_id is None


def _client_of_clinic_a(row: Any, ctx: Any) -> None:
    _owned_by_clinic_a(row, ctx, author=ctx.personas.admin_a, author_field="created_by")


def _uninvited_patient(ctx: Any) -> Any:
    from ketacare.patients.models import Patient

    return Patient.objects.create(
        clinic=ctx.personas.clinic_a,
        full_name="Uninvited Patient",
        date_of_birth=dt.date(1981, 2, 3),
        email="uninvited.patient@example.org",
    )


def _owned_by_clinic_a(row: Any, ctx: Any, *, author: Any, author_field: str) -> None:
    assert row.clinic_id == ctx.personas.clinic_a.pk
    assert getattr(row, f"{author_field}_id") == author.pk


def _invited_to_clinic_a(row: Any, ctx: Any) -> None:
    assert [c.pk for c in row.clinics.all()] == [ctx.personas.clinic_a.pk]
    assert row.invited_by_id == ctx.personas.admin_a.pk


def _pending_invitation_to_clinic_a(ctx: Any) -> dict[str, str]:
    from ketacare.clinics.services import invite_staff

    invitation = invite_staff(
        by=ctx.personas.admin_a,
        clinics=[ctx.personas.clinic_a],
        email="invited.nurse@example.org",
        role="nurse",
        base_url="http://testserver",
    )
    return {"invitation_id": str(invitation.public_id)}


def _withdrawn_at_clinic_a(row: Any, ctx: Any) -> None:
    _invited_to_clinic_a(row, ctx)
    assert row.revoked_at is not None and row.revoked_at.year != 2001 and row.accepted_at is None


def _post_operations() -> set[tuple[str, str]]:
    from ketacare.api import api

    return {
        (method.upper(), path)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE")
    }


def test_every_post_operation_has_a_write_case() -> None:
    assert _post_operations() == set(WRITES)


def _context(personas: Any) -> Context:
    from ketacare.alerts.models import Alert
    from tests.support.treatments import make_session

    def alert(state: str) -> Any:
        return Alert.objects.create(
            clinic_id=personas.a1.clinic_id,
            patient=personas.a1,
            source=Alert.Source.RED_FLAG_CHECKIN,
            severity=Alert.Severity.URGENT,
            title="Write-test alert",
            assignee_id=personas.a1.primary_clinician_id,
            state=state,
        )

    return Context(
        personas=personas,
        own_session=make_session(personas.a1, state="observing"),
        open_alert=alert("open"),
        acknowledged_alert=alert("acknowledged"),
        extra={"foreign_session": make_session(personas.b1, state="observing")},
    )


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _same(stored: Any, sent: Any) -> bool:
    """Whether a stored value equals a forged one (timestamps: the forged year)."""
    if isinstance(stored, dt.datetime):
        return stored.year == 2001
    if isinstance(stored, uuid.UUID):
        return str(stored) == str(sent)
    if isinstance(stored, (int, float, Decimal)) and not isinstance(stored, bool):
        return not isinstance(sent, bool) and isinstance(sent, (int, float)) and float(stored) == float(sent)
    return bool(stored == sent)


def _foreign_rows(personas: Any, foreign_session: Any) -> set[tuple[str, Any]]:
    return {
        ("patients.patient", personas.b1.pk),
        ("clinics.clinic", personas.clinic_b.pk),
        ("accounts.user", personas.clinician_b.pk),
        ("accounts.user", personas.b1.user.pk),
        ("treatments.treatmentsession", foreign_session.pk),
    }


@pytest.mark.parametrize(("method", "path"), sorted(WRITES), ids=lambda v: str(v))
def test_forged_server_owned_fields_are_refused_or_ignored(
    personas: Any, client_for: Any, method: str, path: str
) -> None:
    write = WRITES[(method, path)]
    ctx = _context(personas)
    foreign_session = ctx.extra["foreign_session"]
    model = apps.get_model(write.model)
    kwargs = write.kwargs(ctx) if write.kwargs else {}
    url = path.format(**kwargs)
    forged = forged_fields(personas, foreign_session)
    body = {**forged, **write.body(ctx)}
    before = set(model.objects.values_list("pk", flat=True))
    client = client_for(write.persona)
    if write.form:
        response = client.post(url, {k: _form_value(v) for k, v in body.items()})
    else:
        response = client.post(url, json.dumps(body), content_type="application/json")

    if response.status_code >= 400:
        # Refused: then nothing was written.
        assert response.status_code < 500
        assert set(model.objects.values_list("pk", flat=True)) == before
        return
    assert response.status_code in (200, 201), response.content[:300]
    if write.updates:
        row = model.objects.get(public_id=kwargs[write.updates])
    else:
        row = model.objects.get(public_id=response.json()["public_id"])
        assert row.pk not in before
    assert str(row.public_id) != FORGED_PUBLIC_ID
    if write.check is not None:
        write.check(row, ctx)
    else:
        assert row.patient_id == personas.a1.pk and row.clinic_id == personas.clinic_a.pk
    foreign = _foreign_rows(personas, foreign_session)
    for model_field in row._meta.concrete_fields:
        if model_field.is_relation:
            target = (model_field.related_model._meta.label_lower, getattr(row, model_field.attname))
            assert target not in foreign, f"{write.model}.{model_field.name} points into the other clinic"
        elif model_field.name in forged:
            stored = getattr(row, model_field.attname)
            assert not _same(stored, forged[model_field.name]), (
                f"{write.model}.{model_field.name} took the forged value {forged[model_field.name]!r}"
            )
