"""Treatments API: a patient's sessions, one session, and recording vital signs (the same services).

The vitals body is read after the access check, so another clinic's session is a 404 whatever the
body; it is accepted as JSON or as a form body, validated against `VitalSignsIn`, and a value out of
range is a 422 naming the field and the allowed range with nothing written.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.errors import ValidationError
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import staff_memberships
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import ApiErrorOut
from ketacare.patients.selectors import access_patient
from ketacare.treatments import selectors, services
from ketacare.treatments.schemas import SessionOut, SessionSummaryOut, VitalSignOut, VitalSignsIn

# The API's django_auth answers 401 before any handler runs, so handlers take a signed-in user.
router = Router(tags=["treatments"])


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
