"""The clinic admin's audit report and its CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render

from ketacare.accounts.gates import clinic_admin_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.forms import AuditFilterForm
from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import clinic_audit_events
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.lib.csvsafe import csv_safe as _csv_safe

CSV_COLUMNS = [
    "occurred_at",
    "user_email",
    "role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_public_id",
    "clinic_public_id",
    "ip_address",
    "request_id",
    "method",
    "path",
]


def _filtered(request: AuthenticatedRequest) -> tuple[AuditFilterForm, QuerySet[AccessEvent]]:
    clinic = active_clinic(request)
    if clinic is None:  # clinic_admin_required guarantees one; keep the type checker honest
        raise Http404("Not found")
    form = AuditFilterForm(request.GET or None)
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    kwargs: dict[str, object] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data.get("patient"):
            kwargs["patient_public_id"] = str(data["patient"])
        if data.get("user"):
            kwargs["user_email"] = data["user"]
        # Dates are the clinic's calendar days; the log is in UTC.
        if data.get("date_from"):
            kwargs["date_from"] = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone)
        if data.get("date_to"):
            kwargs["date_to"] = dt.datetime.combine(
                data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone
            )
    elif form.is_bound:
        return form, AccessEvent.objects.none()
    return form, clinic_audit_events(clinic=clinic, **kwargs)  # type: ignore[arg-type]


@clinic_admin_required
def audit_report(request: AuthenticatedRequest) -> HttpResponse:
    """Paginated, filterable report of who accessed what at this clinic."""
    form, events = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    record_access_event(
        action="read", outcome="granted", clinic=active_clinic(request), object_type="audit_report"
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "audit/report.html",
        {"form": form, "page": page, "page_size": settings.PAGE_SIZE},
        status=status,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@clinic_admin_required
def audit_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """The same filtered report as CSV, streamed."""
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    record_access_event(
        action="export", outcome="granted", clinic=active_clinic(request), object_type="audit_report"
    )
    writer = csv.writer(_Echo())

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.occurred_at.isoformat() if c == "occurred_at" else _csv_safe(getattr(event, c))
                    for c in CSV_COLUMNS
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="ketacare-audit.csv"'
    return response
