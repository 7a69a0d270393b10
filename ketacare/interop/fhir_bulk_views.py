"""Bulk data export at /fhir/R4/$export (system level, one clinic; docs/decisions/0019).

The kick-off creates a resumable job and queues its run on the task queue (Django-Q2); the status URL
only reports progress. Status and files answer only the job's own clinic admin or backend client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.clinics.selectors import active_membership
from ketacare.interop.fhir_views import outcome, principal_of, unauthorised
from ketacare.interop.models import BulkExportJob
from ketacare.interop.selectors import Principal, access_export_job
from ketacare.interop.services import FHIR_TYPES, cancel_bulk_export, queue_bulk_export, start_bulk_export


def _export_clinic(request: HttpRequest, principal: Principal) -> Any:
    """The clinic a bulk export covers: the backend client's, or the signed-in admin's active clinic."""
    if principal.is_system and principal.token is not None:
        return principal.token.clinic
    membership = active_membership(request) if principal.user is not None else None
    if membership is None or membership.role != "clinic_admin":
        return None
    return membership.clinic


@login_not_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """$export kick-off: 202 with a status URL (Content-Location); the files list types as NDJSON."""
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    clinic = _export_clinic(request, principal)
    if clinic is None:
        return outcome(404, "not-found", "Bulk export is for a clinic administrator or a backend client.")
    types = [t for part in request.GET.getlist("_type") for t in part.split(",") if t] or list(FHIR_TYPES)
    unknown = [t for t in types if t not in FHIR_TYPES]
    if unknown:
        return outcome(
            400, "not-supported", f"_type {unknown[0][:40]} is not served; served: {', '.join(FHIR_TYPES)}."
        )
    refused = [t for t in types if not principal.may(t)]
    if refused:
        return outcome(403, "forbidden", f"The token's scopes do not include reading {refused[0]}.")
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in ("application/fhir+ndjson", "application/ndjson", "ndjson"):
        return outcome(400, "not-supported", "_outputFormat: only application/fhir+ndjson.")
    since = None
    if request.GET.get("_since"):
        try:
            since = dt.datetime.fromisoformat(request.GET["_since"])
        except ValueError:
            return outcome(400, "invalid", "_since is an instant, e.g. 2026-01-01T00:00:00Z.")
        if since.tzinfo is None:
            return outcome(400, "invalid", "_since needs a time zone, e.g. 2026-01-01T00:00:00Z.")
    job = start_bulk_export(
        clinic=clinic,
        resource_types=types,
        since=since,
        now=timezone.now(),
        by=principal.user,
        client=principal.token.client if principal.token is not None else None,
    )
    queue_bulk_export(job)
    status_url = request.build_absolute_uri(reverse("fhir:export_status", kwargs={"job_id": job.public_id}))
    response = HttpResponse(status=202)
    response["Content-Location"] = status_url
    return response


def _admin_clinic_id(request: HttpRequest, principal: Principal) -> int | None:
    clinic = _export_clinic(request, principal) if not principal.is_system else None
    return clinic.pk if clinic is not None else None


@login_not_required
@require_http_methods(["GET", "DELETE"])
def export_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """202 with X-Progress while the queue runs the job, 200 with the manifest when done (a poll does no work)."""
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    try:
        job = access_export_job(principal, job_id, admin_clinic_id=_admin_clinic_id(request, principal))
    except Http404:
        return outcome(404, "not-found", "No such export that you may read.")
    if request.method == "DELETE":
        cancel_bulk_export(job, now=timezone.now())
        return HttpResponse(status=202)
    if job.status == BulkExportJob.Status.CANCELLED:
        return outcome(404, "not-found", "This export was cancelled.")
    if job.status == BulkExportJob.Status.IN_PROGRESS:
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{job.patients_done} of {job.patients_total} patients"
        response["Retry-After"] = "2"
        return response
    manifest = {
        "transactionTime": job.transaction_time.isoformat(),
        "request": request.build_absolute_uri(reverse("fhir:export")),
        "requiresAccessToken": True,
        "output": [
            {
                "type": f.resource_type,
                "url": request.build_absolute_uri(
                    reverse(
                        "fhir:export_file", kwargs={"job_id": job.public_id, "resource_type": f.resource_type}
                    )
                ),
                "count": f.count,
            }
            for f in job.files.order_by("resource_type")
        ],
        "error": [],
    }
    return JsonResponse(manifest)


@login_not_required
@require_GET
def export_file(request: HttpRequest, job_id: str, resource_type: str) -> HttpResponse:
    """One NDJSON file of a finished export (the same access rule as its status URL)."""
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    try:
        job = access_export_job(principal, job_id, admin_clinic_id=_admin_clinic_id(request, principal))
    except Http404:
        return outcome(404, "not-found", "No such export that you may read.")
    file = job.files.filter(resource_type=resource_type).first()
    if job.status != BulkExportJob.Status.COMPLETE or file is None:
        return outcome(404, "not-found", f"No {resource_type[:40]} file in this export.")
    return HttpResponse(file.ndjson, content_type="application/fhir+ndjson")
