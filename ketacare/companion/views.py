"""The patient companion's pages that read across records: home and progress."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.companion.selectors import exposure_context, home_context, progress_context
from ketacare.patients.selectors import access_patient


@patient_required
def patient_home(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own home page."""
    patient = access_patient(request.user, request.user.patient.public_id)
    return render(
        request,
        "companion/home.html",
        {"patient": patient, "clinic": patient.clinic, **home_context(patient)},
    )


@patient_required
def progress(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's progress page."""
    patient = access_patient(request.user, request.user.patient.public_id)
    return render(request, "companion/progress.html", progress_context(patient))


@staff_required
def staff_progress(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Staff of the patient's clinic: the same charts, change classes and side-effect durations, and the
    cumulative ketamine exposure."""
    patient = access_patient(request.user, patient_id)
    return render(
        request,
        "companion/staff_progress.html",
        {
            **progress_context(patient),
            **exposure_context(patient, now=timezone.now()),
            "staff_view": True,
        },
    )
