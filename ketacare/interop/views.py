"""My records: the patient downloads everything about them (each download audited as "export")."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.accounts.gates import patient_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.interop.exports import csv_text, fhir_bundle, pdf_bytes, validate_bundle
from ketacare.patients.selectors import access_patient


def _own(request: AuthenticatedRequest, action: str) -> Any:
    return access_patient(request.user, request.user.patient.public_id, action=action)


def _download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@patient_required
def records(request: AuthenticatedRequest) -> HttpResponse:
    """The download page."""
    patient = _own(request, "read")
    return render(request, "interop/records.html", {"patient": patient})


@patient_required
def records_fhir(request: AuthenticatedRequest) -> HttpResponse:
    """Everything as a FHIR R4 Bundle (validated before it is sent)."""
    patient = _own(request, "export")
    bundle = fhir_bundle(patient, now=timezone.now())
    validate_bundle(bundle)
    return _download(json.dumps(bundle, indent=2), "application/fhir+json", "ketacare-records.fhir.json")


@patient_required
def records_csv(request: AuthenticatedRequest) -> HttpResponse:
    """Everything as CSV rows."""
    patient = _own(request, "export")
    return _download(csv_text(patient, now=timezone.now()), "text/csv; charset=utf-8", "ketacare-records.csv")


@patient_required
def records_pdf(request: AuthenticatedRequest) -> HttpResponse:
    """A PDF summary with the patient's scores."""
    patient = _own(request, "export")
    return _download(pdf_bytes(patient, now=timezone.now()), "application/pdf", "ketacare-summary.pdf")
