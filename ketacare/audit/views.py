"""The clinic admin's audit report and its CSV export (streamed when small, prepared by the queue when
large: docs/decisions/0018)."""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import clinic_admin_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.exports import KIND, csv_rows, filter_params, filtered_events
from ketacare.audit.forms import AuditFilterForm
from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import reads_of_unwritten_changes
from ketacare.audit.services import record_access_event
from ketacare.audit.words import object_words, role_words, what_was_done
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_clinic
from ketacare.ops.exports import recent_exports, request_export
from ketacare.patients.models import Patient


def _clinic(request: AuthenticatedRequest) -> Clinic:
    clinic = active_clinic(request)
    if clinic is None:  # clinic_admin_required guarantees one; keep the type checker honest
        raise Http404("Not found")
    return clinic


def _filtered(
    request: AuthenticatedRequest, data: QueryDict | None = None
) -> tuple[AuditFilterForm, QuerySet[AccessEvent], dict[str, str]]:
    clinic = _clinic(request)
    form = AuditFilterForm(data if data is not None else (request.GET or None), clinic=clinic)
    if form.is_valid():
        params = filter_params(form.cleaned_data)
    elif form.is_bound:
        return form, AccessEvent.objects.none(), {}
    else:
        params = filter_params({})
    return form, filtered_events(clinic, params), params


def _errors(form: AuditFilterForm) -> HttpResponse:
    """The filter's errors as text, each after its field's label (a rule across fields alone)."""
    return HttpResponse(
        "; ".join(
            (f"{form.fields[k].label}: " if k in form.fields else "") + " ".join(str(m) for m in v)
            for k, v in form.errors.items()
        ),
        status=400,
        content_type="text/plain",
    )


def _report_rows(clinic: Clinic, events: list[AccessEvent]) -> list[dict[str, Any]]:
    """The page's events in words: roles, actions and objects named, patients by name (one query), a
    refused change said as tried (one more query, when the page holds a read of a request that asked
    for a change)."""
    ids = {e.patient_public_id for e in events if e.patient_public_id}
    names = {
        str(public_id): name
        for public_id, name in Patient.objects.filter(clinic=clinic, public_id__in=ids).values_list(
            "public_id", "full_name"
        )
    }
    unwritten = reads_of_unwritten_changes(events)
    return [
        {
            "event": e,
            "role": role_words(e.role),
            "action": e.get_action_display(),
            "outcome": e.get_outcome_display(),
            "object": object_words(e.object_type),
            # What the request did (a discharge, an archive, a hold overridden...), from its address.
            "deed": what_was_done(e, wrote=e.pk not in unwritten),
            "patient_name": names.get(e.patient_public_id, ""),
        }
        for e in events
    ]


def _inline_limit() -> int:
    return int(settings.EXPORT_INLINE_MAX_ROWS)


@clinic_admin_required
def audit_report(request: AuthenticatedRequest) -> HttpResponse:
    """Paginated, filterable report of who accessed what at this clinic."""
    form, events = _filtered(request)[:2]
    clinic = _clinic(request)
    # Recorded before the page is counted: the report lists this read too, and a row written between
    # the count and the fetch would push the oldest row of the page off it.
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="audit_report")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "audit/report.html",
        {
            "form": form,
            "page": page,
            "rows": _report_rows(clinic, list(page.object_list)),
            "page_size": settings.PAGE_SIZE,
            "prepare": page.paginator.count > _inline_limit(),
            "exports": recent_exports(request.user, KIND, clinic),
        },
        status=status,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@clinic_admin_required
def audit_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """The same filtered report as CSV, streamed; a large one is offered to the queue instead."""
    form, events, _ = _filtered(request)
    if form.is_bound and not form.is_valid():
        return _errors(form)
    count = events.count()
    if count > _inline_limit():
        # Too long to hold a web worker for: the page offers to prepare it in the background.
        return render(request, "audit/export_prepare.html", {"form": form, "count": count})
    record_access_event(
        action="export", outcome="granted", clinic=_clinic(request), object_type="audit_report"
    )
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        for row in csv_rows(events, zoneinfo.ZoneInfo(_clinic(request).time_zone)):
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="ketacare-audit.csv"'
    return response


@require_POST
@clinic_admin_required
def audit_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """Ask the queue to prepare the filtered report as CSV; the status page offers the download."""
    form, events, params = _filtered(request, request.POST)
    if not form.is_valid():
        return _errors(form)
    clinic = _clinic(request)
    with transaction.atomic():
        export = request_export(
            user=request.user,
            kind=KIND,
            clinic=clinic,
            params=params,
            filename_stem="ketacare-audit",
            expected_rows=events.count(),
        )
        record_access_event(
            action="export",
            outcome="granted",
            clinic=clinic,
            object_type="audit_report",
            object_id=str(export.public_id),
        )
    return redirect("ops:export", export_id=export.public_id)
