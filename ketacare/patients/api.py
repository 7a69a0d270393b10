"""Patients API: the active clinic's list and one patient, registration and the app invitation (staff)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from ketacare.accounts import mail
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.patients.apiutil import ApiErrorOut, parse_payload
from ketacare.patients.models import Patient, PatientInvitation
from ketacare.patients.schemas import PatientIn, PatientInvitationOut, PatientOut, PatientPage
from ketacare.patients.selectors import (
    SORTABLE_FIELDS,
    access_patient,
    access_patient_as_staff,
    list_clinic_patients,
)
from ketacare.patients.services import invite_patient, register_patient

router = Router(tags=["patients"])


def json_body(schema: type[Schema]) -> dict[str, Any]:
    """openapi_extra for a JSON body read with parse_payload after the role check."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


class PatientListParams(Schema):
    q: str = Field("", max_length=100, description="search by name or record number")
    sort: str = Field("name", pattern="^-?(name|dob|stage|created)$", description="sort key")
    page: int = Field(1, ge=1, le=100_000)
    archived: bool = Field(False, description="list the archived patients instead")

    @field_validator("q")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # PostgreSQL text refuses NUL, so a search for one would fail in the database.
        if "\x00" in value:
            raise ValueError("q contains a NUL character, which is not allowed")
        return value


@router.get("/patients", response=PatientPage, summary="List the active clinic's patients (staff)")
def list_patients(request: AuthenticatedRequest, params: Query[PatientListParams]) -> dict[str, object]:
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    patients = list_clinic_patients(
        user=request.user,
        clinic=clinic,
        query=params.q,
        sort=params.sort if params.sort in SORTABLE_FIELDS else "name",
        archived=params.archived,
    )
    paginator = Paginator(patients, settings.PAGE_SIZE)
    page = paginator.get_page(params.page)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="patient_list")
    following = None
    if page.has_next():
        query = request.GET.copy()
        query["page"] = str(page.next_page_number())
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {
        "count": paginator.count,
        "page": page.number,
        "page_size": settings.PAGE_SIZE,
        "next": following,
        "results": list(page),
    }


@router.post(
    "/patients",
    response={201: PatientOut, 409: ApiErrorOut, 422: ApiErrorOut},
    summary="Register a patient at the active clinic (staff); 409 names a same-name, same-birthday patient",
    openapi_extra=json_body(PatientIn),
    url_name="create_patient",
)
def create_patient(request: HttpRequest) -> Status[Patient]:
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    payload = parse_payload(request, PatientIn)
    patient = register_patient(clinic=clinic, by=request.user, **payload.model_dump())  # type: ignore[arg-type]
    return Status(201, patient)


@router.get("/patients/{patient_id}", response=PatientOut, summary="One patient (own record or same clinic)")
def get_patient(request: AuthenticatedRequest, patient_id: str) -> Patient:
    return access_patient(request.user, patient_id)


@router.post(
    "/patients/{patient_id}/invitation",
    response={201: PatientInvitationOut, 409: ApiErrorOut, 422: ApiErrorOut},
    summary="Send (or send again) the patient-app invitation by e-mail (staff of the patient's clinic)",
    url_name="invite_patient",
)
def invite_patient_api(request: HttpRequest, patient_id: str) -> Status[PatientInvitation]:
    patient = access_patient_as_staff(request.user, patient_id, action="write")
    invitation = invite_patient(patient=patient, by=request.user, base_url=mail.base_url(request))  # type: ignore[arg-type]
    return Status(201, invitation)
