"""Intake API: the intake summary, and medicines or screening in -> the core's flags out (staff only).

The write operations authorise first and read the body second: another clinic's patient is a 404
whatever the body holds, and no validation answer reveals anything about a patient one may not see.
They take the body as JSON (documented) or as a form, so the same schema serves scripts and forms.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import ValidationError

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.intake import services
from ketacare.intake.models import MedicationList, ScreeningAssessment
from ketacare.intake.schemas import (
    IntakeSummaryOut,
    MedicationListOut,
    MedicationsIn,
    ScreeningIn,
    ScreeningOut,
)
from ketacare.intake.selectors import access_staff_patient, intake_summary
from ketacare.patients.apiutil import ApiErrorOut

router = Router(tags=["intake"])

_S = TypeVar("_S", bound=pydantic.BaseModel)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _body_doc(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    body_schema = schema.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": body_schema},
                "application/x-www-form-urlencoded": {"schema": body_schema},
            },
        }
    }


def _parse_body(request: HttpRequest, schema: type[_S]) -> _S:
    """Validate the JSON (or form) body against ``schema``; a 422 names each offending field."""
    data: Any
    if request.content_type in _FORM_TYPES:
        data = {
            name: request.POST.getlist(name) if _is_list(schema, name) else request.POST.get(name)
            for name in schema.model_fields
            if name in request.POST
        }
    else:
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError([{"loc": ("body",), "msg": "the body must be a JSON object"}]) from None
    if not isinstance(data, dict):
        raise ValidationError([{"loc": ("body",), "msg": "the body must be a JSON object"}])
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError([{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from None


def _is_list(schema: type[pydantic.BaseModel], name: str) -> bool:
    return getattr(schema.model_fields[name].annotation, "__origin__", None) is list


@router.get(
    "/patients/{patient_id}/intake",
    response={200: IntakeSummaryOut, 404: ApiErrorOut},
    summary="A patient's intake, weights, medicines, screening, consents and baselines (staff)",
)
def get_intake_summary(request: AuthenticatedRequest, patient_id: str) -> dict[str, Any]:
    patient = access_staff_patient(request.user, patient_id)
    summary = intake_summary(patient)
    return {
        "patient_public_id": patient.public_id,
        "intake": summary.intake,
        "weights": summary.weights,
        "medication_list": summary.medication_list,
        "screening": summary.screening,
        "consents": summary.consents,
        "baselines": summary.baselines,
    }


@router.post(
    "/patients/{patient_id}/intake/medications",
    response={201: MedicationListOut, 404: ApiErrorOut, 422: ApiErrorOut},
    summary="Record the current medicines; returns the core's interaction flags (staff)",
    openapi_extra=_body_doc(MedicationsIn),
)
def post_medications(request: AuthenticatedRequest, patient_id: str) -> Status[MedicationList]:
    patient = access_staff_patient(request.user, patient_id, action="write")
    body = _parse_body(request, MedicationsIn)
    medication_list = services.record_medications(
        patient=patient,
        user=request.user,
        medications=body.medications,
        drug_classes=body.drug_classes,
        no_medicines=body.no_medicines,
    )
    return Status(201, medication_list)


@router.post(
    "/patients/{patient_id}/intake/screening",
    response={201: ScreeningOut, 404: ApiErrorOut, 422: ApiErrorOut},
    summary="Screen the conditions present and the current medicines; returns eligibility and reasons (staff)",
    openapi_extra=_body_doc(ScreeningIn),
)
def post_screening(request: AuthenticatedRequest, patient_id: str) -> Status[ScreeningAssessment]:
    patient = access_staff_patient(request.user, patient_id, action="write")
    body = _parse_body(request, ScreeningIn)
    assessment = services.assess_screening(
        patient=patient,
        user=request.user,
        conditions_present=body.conditions,
        all_items_asked=body.all_items_asked,
    )
    return Status(201, assessment)
