"""Treatments API: plans, appointments, sessions and the run-sheet's writes (the same services and doors).

The vitals body is read after the access check, so another clinic's session is a 404 whatever the
body; it is accepted as JSON or as a form body, validated against `VitalSignsIn`, and a value out of
range is a 422 naming the field and the allowed range with nothing written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import ValidationError
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import staff_memberships
from ketacare.lib.errors import ConflictError, NotPermitted
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import ApiErrorOut, own_patient, parse_payload
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.treatments import selectors, services
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.schemas import (
    AdverseEventIn,
    AdverseEventOut,
    AppointmentOut,
    BookingIn,
    CancelIn,
    CheckInIn,
    DischargeIn,
    DoseIn,
    DoseOut,
    EndDosingIn,
    EnteredInErrorIn,
    HoldOverrideIn,
    MyAppointmentOut,
    ObservationIn,
    ObservationOut,
    PlanEndIn,
    PlanIn,
    PlanOut,
    SessionOut,
    SessionSummaryOut,
    VitalSignOut,
    VitalSignsIn,
)

# The API's django_auth answers 401 before any handler runs, so handlers take a signed-in user.
router = Router(tags=["treatments"])
S = TypeVar("S", bound=Schema)
T = TypeVar("T")


def _staff_or_404(request: HttpRequest, object_type: str, object_id: str, action: str) -> None:
    # Patients do not use these endpoints; the refusal is audited like any denied access.
    if not staff_memberships(request.user):
        record_access_event(
            action=action, outcome="denied", object_type=object_type, object_id=object_id[:64]
        )
        raise Http404("Not found")


@router.get(
    "/patients/{patient_id}/sessions",
    response={200: list[SessionSummaryOut], 404: ApiErrorOut},
    summary="A patient's treatment sessions, newest first (staff of the patient's clinic)",
)
@paginate(LinkedPagination)
def list_patient_sessions(request: AuthenticatedRequest, patient_id: str) -> Any:
    _staff_or_404(request, "patient", patient_id, "read")
    patient = access_patient(request.user, patient_id)
    return selectors.patient_sessions(patient).select_related("patient")


@router.get(
    "/sessions/{session_id}",
    response={200: SessionOut, 404: ApiErrorOut},
    summary="One treatment session with its vital signs, doses and observations",
)
def get_session(request: AuthenticatedRequest, session_id: str) -> Any:
    _staff_or_404(request, "treatment_session", session_id, "read")
    return selectors.access_session(request.user, session_id)


def _form_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema as a form sends it: an empty optional field means "not given" (see `_read_body`)."""
    required = set(schema.get("required", []))
    properties = {
        name: prop if name in required else {"anyOf": [prop, {"type": "string", "maxLength": 0}]}
        for name, prop in schema["properties"].items()
    }
    return {**schema, "properties": properties}


_VITALS_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": VitalSignsIn.model_json_schema()},
        "application/x-www-form-urlencoded": {"schema": _form_schema(VitalSignsIn.model_json_schema())},
    },
}


def _read_body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/x-www-form-urlencoded":
        # A field sent twice is ambiguous (which reading counts?): refuse it rather than take the last.
        repeated = [k for k, values in request.POST.lists() if len(values) > 1]
        if repeated:
            raise ValidationError([{"loc": (repeated[0],), "msg": f"{repeated[0]} was sent more than once"}])
        return {k: v for k, v in request.POST.items() if v != ""}
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError([{"loc": ("body",), "msg": "the body must be a JSON object"}]) from None
    if not isinstance(data, dict):
        raise ValidationError([{"loc": ("body",), "msg": "the body must be a JSON object"}])
    return data


@router.post(
    "/sessions/{session_id}/vitals",
    response={201: VitalSignOut, 404: ApiErrorOut, 409: ApiErrorOut, 422: ApiErrorOut},
    summary="Record one set of vital signs (422 names the field and its allowed range)",
    openapi_extra={"requestBody": _VITALS_BODY},
)
def record_session_vitals(request: AuthenticatedRequest, session_id: str) -> Any:
    _staff_or_404(request, "treatment_session", session_id, "write")
    session = selectors.access_session(request.user, session_id, action="write")
    try:
        payload = VitalSignsIn.model_validate(_read_body(request))
    except PydanticValidationError as exc:
        raise ValidationError([{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from None
    # A refusal (422 invalid input, 409 a session not in a recording state) is answered by the
    # API's FieldError handler (ketacare.api.refused) with the field and the rule.
    vital = services.record_vital_signs(
        session=session,
        user=request.user,
        systolic_mmhg=payload.systolic_mmhg,
        diastolic_mmhg=payload.diastolic_mmhg,
        heart_rate_bpm=payload.heart_rate_bpm,
        spo2_pct=payload.spo2_pct,
        measured_at=payload.measured_at,
    )
    return Status(201, vital)


# --- plans and appointments ------------------------------------------------------------------------
# The same doors as the plan page: staff only (a patient gets 404, audited), then the patient through
# access_patient; the services hold every rule (a prescriber's decisions refuse other roles with 403).


def _json_body(schema: type[Schema]) -> dict[str, Any]:
    """openapi_extra for a JSON body that is read after the access check (parse_payload)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def _staff_patient(request: AuthenticatedRequest, patient_id: str, action: str) -> Patient:
    _staff_or_404(request, "patient", patient_id, action)
    return access_patient(request.user, patient_id, action=action)


@contextmanager
def _role_refusals_audited(patient: Patient, operation: str) -> Iterator[None]:
    """A role refusal (403) leaves a denied row naming the operation, as the pages' refusals do."""
    try:
        yield
    except NotPermitted:
        record_access_event(
            action="write", outcome="denied", patient=patient, object_type="action", object_id=operation[:64]
        )
        raise


@router.get(
    "/patients/{patient_id}/plans",
    response={200: list[PlanOut], 404: ApiErrorOut},
    summary="A patient's treatment plans, active and ended, with their appointments, newest first (staff)",
)
@paginate(LinkedPagination)
def list_patient_plans(request: AuthenticatedRequest, patient_id: str) -> Any:
    patient = _staff_patient(request, patient_id, "read")
    return (
        TreatmentPlan.objects.filter(patient=patient)
        .select_related("patient", "ended_by")
        .order_by("-created_at", "-id")
    )


class PlanCreateIn(PlanIn):
    """A new plan, with the prescriber's confirmation for appointments outside the clinic's hours."""

    book_outside_hours: bool = Field(
        False,
        description="true: book even where appointments fall outside the clinic's opening hours "
        "(otherwise such a plan is refused with 409 listing them)",
    )


@router.post(
    "/patients/{patient_id}/plans",
    response={201: PlanOut},
    summary=(
        "Create a treatment plan and its appointments (a prescriber; laid out in the clinic's zone; 409 "
        "naming `plan` while the patient has an active plan, which is ended first)"
    ),
    openapi_extra=_json_body(PlanCreateIn),
)
def create_patient_plan(request: AuthenticatedRequest, patient_id: str) -> Any:
    patient = _staff_patient(request, patient_id, "write")
    payload = parse_payload(request, PlanCreateIn)
    with _role_refusals_audited(patient, "create_patient_plan"):
        plan = services.create_treatment_plan(
            patient=patient,
            user=request.user,
            protocol_id=payload.protocol_id,
            preset_id=payload.preset_id,
            first_session_at=payload.first_session_at,
            weight_kg=payload.weight_kg,
            weight_measured_on=payload.weight_measured_on,
            mg_per_kg=payload.mg_per_kg,
            weekdays=payload.weekdays,
            session_count=payload.session_count,
            maintenance_policy=payload.maintenance_policy,
            notes=payload.notes,
            gate_override_reason=payload.gate_override_reason,
            hepatic_impairment=payload.hepatic_impairment,
            finding_reason=payload.finding_reason,
            book_outside_hours=payload.book_outside_hours,
        )
    return Status(201, plan)


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/end",
    response={200: PlanOut},
    summary=(
        "End an active treatment plan as completed or discontinued, with an optional reason (a prescriber; "
        "its booked sessions not yet held are cancelled; 409 when it has ended already or a session is "
        "under way)"
    ),
    openapi_extra=_json_body(PlanEndIn),
)
def end_patient_plan(request: AuthenticatedRequest, patient_id: str, plan_id: str) -> Any:
    patient = _staff_patient(request, patient_id, "write")
    plan = _patients_plan(patient, plan_id)
    payload = parse_payload(request, PlanEndIn)
    with _role_refusals_audited(patient, "end_patient_plan"):
        services.end_treatment_plan(
            plan=plan, user=request.user, ended_as=payload.ended_as, reason=payload.end_reason
        )
    return TreatmentPlan.objects.select_related("patient", "ended_by").get(pk=plan.pk)


def _patients_plan(patient: Patient, plan_id: str) -> TreatmentPlan:
    """The patient's plan by its public id (the patient already reached through access_patient): any
    other id, or one that is not an id, is a 404."""
    try:
        key = uuid.UUID(plan_id)
    except ValueError:
        raise Http404("Not found") from None
    plan = TreatmentPlan.objects.filter(patient=patient, public_id=key).first()
    if plan is None:
        raise Http404("Not found")
    return plan


@router.get(
    "/patients/{patient_id}/appointments",
    response={200: list[AppointmentOut], 404: ApiErrorOut},
    summary="A patient's appointments in time order (staff)",
)
@paginate(LinkedPagination)
def list_patient_appointments(request: AuthenticatedRequest, patient_id: str) -> Any:
    patient = _staff_patient(request, patient_id, "read")
    return (
        Appointment.objects.filter(patient=patient).select_related("session").order_by("starts_at", "number")
    )


@router.post(
    "/patients/{patient_id}/appointments/{appointment_id}/reschedule",
    response={200: AppointmentOut},
    summary="Move a scheduled appointment and its session (a prescriber)",
    openapi_extra=_json_body(BookingIn),
)
def reschedule_patient_appointment(
    request: AuthenticatedRequest, patient_id: str, appointment_id: str
) -> Any:
    patient = _staff_patient(request, patient_id, "write")
    appointment = selectors.access_appointment(request.user, patient, appointment_id)
    payload = parse_payload(request, BookingIn)
    with _role_refusals_audited(patient, "reschedule_patient_appointment"):
        return services.reschedule_appointment(
            appointment=appointment,
            user=request.user,
            starts_at=payload.starts_at,
            book_anyway=payload.book_anyway,
        )


@router.post(
    "/patients/{patient_id}/plan/maintenance",
    response={201: AppointmentOut},
    summary="Book one maintenance session on the patient's active plan (a prescriber)",
    openapi_extra=_json_body(BookingIn),
)
def book_patient_maintenance(request: AuthenticatedRequest, patient_id: str) -> Any:
    patient = _staff_patient(request, patient_id, "write")
    payload = parse_payload(request, BookingIn)
    plan = selectors.current_plan(patient)
    if plan is None:
        raise ConflictError("plan", "this patient has no active treatment plan to book on")
    with _role_refusals_audited(patient, "book_patient_maintenance"):
        appointment = services.book_maintenance_session(
            plan=plan,
            user=request.user,
            starts_at=payload.starts_at,
            now=timezone.now(),
            book_anyway=payload.book_anyway,
        )
    return Status(201, appointment)


@router.get(
    "/me/appointments", response=list[MyAppointmentOut], summary="My appointments, in time order (patient)"
)
@paginate(LinkedPagination)
def list_my_appointments(request: HttpRequest) -> Any:
    patient = own_patient(request, action="read")
    return Appointment.objects.filter(patient=patient).order_by("starts_at", "number")


# --- session writes ----------------------------------------------------------------------------------
# The run-sheet's actions, one service each, behind the same doors as its pages: staff only, then the
# session through access_session (another clinic's session is a 404 whatever the body).


def _session_write(
    request: AuthenticatedRequest,
    session_id: str,
    schema: type[S],
    call: Callable[[TreatmentSession, S], T],
    *,
    operation: str,
) -> T:
    _staff_or_404(request, "treatment_session", session_id, "write")
    session = selectors.access_session(request.user, session_id, action="write")
    payload = parse_payload(request, schema)
    with _role_refusals_audited(session.patient, operation):
        return call(session, payload)


def _refreshed(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_related("patient").get(pk=session.pk)


@router.post(
    "/sessions/{session_id}/check-in",
    response={200: SessionOut},
    summary="Check the patient in: today's weight, fasting, ride home, pregnancy, medicine changes",
    openapi_extra=_json_body(CheckInIn),
)
def check_in_session(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: CheckInIn) -> TreatmentSession:
        services.check_in_session(
            session=session,
            user=request.user,
            weight_kg=p.weight_kg,
            fasting_confirmed=p.fasting_confirmed,
            ride_home_confirmed=p.ride_home_confirmed,
            pregnancy_reported=p.pregnancy_reported,
            medication_changes=p.medication_changes,
            checked_in_at=p.checked_in_at,
        )
        return _refreshed(session)

    return _session_write(request, session_id, CheckInIn, call, operation="check_in_session")


@router.post(
    "/sessions/{session_id}/hold-override",
    response={200: SessionOut},
    summary="Dose despite the pre-dose hold, with the reason (a prescriber)",
    openapi_extra=_json_body(HoldOverrideIn),
)
def override_session_hold(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: HoldOverrideIn) -> TreatmentSession:
        services.override_hold(session=session, user=request.user, reason=p.reason)
        return _refreshed(session)

    return _session_write(request, session_id, HoldOverrideIn, call, operation="override_session_hold")


@router.post(
    "/sessions/{session_id}/doses",
    response={201: DoseOut},
    summary="Record a dose: an infusion, one nasal device, or an oral, sublingual or IM dose",
    openapi_extra=_json_body(DoseIn),
)
def record_session_dose(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: DoseIn) -> Any:
        return services.record_dose(
            session=session,
            user=request.user,
            dose_mg=p.dose_mg,
            lot_number=p.lot_number,
            started_at=p.started_at,
            ended_at=p.ended_at,
            out_of_bounds_reason=p.out_of_bounds_reason,
            gate_override_read=p.gate_override_read,
        )

    return Status(201, _session_write(request, session_id, DoseIn, call, operation="record_session_dose"))


@router.post(
    "/sessions/{session_id}/doses/end",
    response={200: SessionOut},
    summary="End dosing (a reason when an infusion stops early or a total the label does not allow)",
    openapi_extra=_json_body(EndDosingIn),
)
def end_session_dosing(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: EndDosingIn) -> TreatmentSession:
        services.end_dosing(session=session, user=request.user, ended_at=p.ended_at, reason=p.reason)
        return _refreshed(session)

    return _session_write(request, session_id, EndDosingIn, call, operation="end_session_dosing")


@router.post(
    "/sessions/{session_id}/observations",
    response={201: ObservationOut},
    summary="Record sedation (MOAA/S) and dissociation",
    openapi_extra=_json_body(ObservationIn),
)
def record_session_observation(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: ObservationIn) -> Any:
        return services.record_observation(
            session=session,
            user=request.user,
            moaas_score=p.moaas_score,
            dissociation=p.dissociation,
            respiratory_concern=p.respiratory_concern,
            note=p.note,
            observed_at=p.observed_at,
        )

    return Status(
        201, _session_write(request, session_id, ObservationIn, call, operation="record_session_observation")
    )


@router.post(
    "/sessions/{session_id}/adverse-events",
    response={201: AdverseEventOut},
    summary="Record an adverse event during the session (moderate or worse alerts the prescribers)",
    openapi_extra=_json_body(AdverseEventIn),
)
def record_session_adverse_event(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: AdverseEventIn) -> Any:
        return services.record_adverse_event(
            session=session,
            user=request.user,
            description=p.description,
            severity=p.severity,
            action_taken=p.action_taken,
            occurred_at=p.occurred_at,
        )

    return Status(
        201,
        _session_write(request, session_id, AdverseEventIn, call, operation="record_session_adverse_event"),
    )


@router.post(
    "/sessions/{session_id}/entered-in-error",
    response={200: SessionOut},
    summary=(
        "Mark a vital-signs set, observation or adverse event of the session as entered in error, "
        "with the reason (409 when it already is)"
    ),
    openapi_extra=_json_body(EnteredInErrorIn),
)
def mark_session_entry_in_error(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: EnteredInErrorIn) -> TreatmentSession:
        services.mark_entered_in_error(
            session=session, user=request.user, kind=p.kind, entry_id=str(p.entry_id), reason=p.reason
        )
        return _refreshed(session)

    return _session_write(
        request, session_id, EnteredInErrorIn, call, operation="mark_session_entry_in_error"
    )


@router.post(
    "/sessions/{session_id}/discharge",
    response={200: SessionOut},
    summary="Discharge the patient (409 lists every unmet criterion)",
    openapi_extra=_json_body(DischargeIn),
)
def discharge_treatment_session(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: DischargeIn) -> TreatmentSession:
        services.discharge_session(
            session=session,
            user=request.user,
            ride_present=p.ride_present,
            instructions_given=p.instructions_given,
            override_reason=p.override_reason,
        )
        return _refreshed(session)

    return _session_write(request, session_id, DischargeIn, call, operation="discharge_treatment_session")


@router.post(
    "/sessions/{session_id}/cancel",
    response={200: SessionOut},
    summary="Cancel a session that has not started dosing (its appointment with it)",
    openapi_extra=_json_body(CancelIn),
)
def cancel_treatment_session(request: AuthenticatedRequest, session_id: str) -> Any:
    def call(session: TreatmentSession, p: CancelIn) -> TreatmentSession:
        services.cancel_session(session=session, user=request.user, reason=p.reason)
        return _refreshed(session)

    return _session_write(request, session_id, CancelIn, call, operation="cancel_treatment_session")


# The pre-dose questionnaires' routes live in their own module; importing it adds them to this router.
from ketacare.treatments import pre_dose_api  # noqa: E402, F401
