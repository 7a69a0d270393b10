"""Staff patient list and patient page; the patient's own home page."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from ketacare.accounts.gates import staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.patients.selectors import SORTABLE_FIELDS, access_patient, list_clinic_patients


@staff_required
def patient_list(request: AuthenticatedRequest) -> HttpResponse:
    """The active clinic's patients: search by name or record number, sortable, paginated."""
    clinic = active_clinic(request)
    if clinic is None:  # staff_required guarantees one; keep the type checker honest
        raise Http404("Not found")
    query = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "name")
    if sort not in SORTABLE_FIELDS:
        sort = "name"
    patients = list_clinic_patients(user=request.user, clinic=clinic, query=query, sort=sort)
    page = Paginator(patients, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="patient_list")
    template = "patients/_patient_table.html" if request.htmx else "patients/patient_list.html"
    return render(request, template, {"page": page, "query": query, "sort": sort})


@staff_required
def patient_detail(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The staff view of one patient: links to intake, plan, sessions, timeline, progress and records."""
    patient = access_patient(request.user, patient_id)
    return render(request, "patients/patient_detail.html", {"patient": patient})
