"""Patients API: the active clinic's list and one patient, through the access layer."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.patients.models import Patient
from ketacare.patients.schemas import PatientOut, PatientPage
from ketacare.patients.selectors import SORTABLE_FIELDS, access_patient, list_clinic_patients

router = Router(tags=["patients"])


class PatientListParams(Schema):
    q: str = Field("", max_length=100, description="search by name or record number")
    sort: str = Field("name", pattern="^-?(name|dob|stage|created)$", description="sort key")
    page: int = Field(1, ge=1, le=100_000)

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
    )
    paginator = Paginator(patients, settings.PAGE_SIZE)
    page = paginator.get_page(params.page)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="patient_list")
    return {
        "count": paginator.count,
        "page": page.number,
        "page_size": settings.PAGE_SIZE,
        "results": list(page),
    }


@router.get("/patients/{patient_id}", response=PatientOut, summary="One patient (own record or same clinic)")
def get_patient(request: AuthenticatedRequest, patient_id: str) -> Patient:
    return access_patient(request.user, patient_id)
