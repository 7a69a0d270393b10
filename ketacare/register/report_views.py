"""Register reports: the period form, the extract (CSV and PDF), the inventory record and the inspection
pack. A PDF that lists more than ``REGISTER_PDF_INLINE_MAX_ENTRIES`` entries is prepared by the task
queue (ketacare.register.exports) instead of holding a web worker while WeasyPrint lays it out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import admin_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.ops.exports import recent_exports, request_export
from ketacare.register import forms, reports, selectors
from ketacare.register.exports import KIND
from ketacare.register.models import Product
from ketacare.register.views import page_context, register_clinic

PDF_REPORTS = ("extract", "inventory", "inspection")


def _inline_limit() -> int:
    return int(settings.REGISTER_PDF_INLINE_MAX_ENTRIES)


def _page(
    request: AuthenticatedRequest, clinic: Clinic, form: forms.PeriodForm, status: int = 200
) -> HttpResponse:
    context = page_context(request, clinic)
    context["form"] = form
    context["exports"] = recent_exports(request.user, KIND, clinic)
    return render(request, "register/reports.html", context, status=status)


@admin_object_view("register_report", "", action="read")
def report_page(request: AuthenticatedRequest) -> HttpResponse:
    """Choose a period and product for the extract, the inventory record and the inspection pack."""
    clinic = register_clinic(request)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(clinic.time_zone)).date()
    form = forms.PeriodForm(
        initial={"start": today - dt.timedelta(days=30), "end": today},
        products=Product.objects.filter(clinic=clinic).order_by("name"),
    )
    return _page(request, clinic, form)


def _period(clinic: Clinic, query: QueryDict) -> tuple[forms.PeriodForm, reports.Period | None]:
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(clinic.time_zone)).date()
    data = query.copy()
    data.setdefault("start", (today - dt.timedelta(days=30)).isoformat())
    data.setdefault("end", today.isoformat())
    products = Product.objects.filter(clinic=clinic).order_by("name")
    form = forms.PeriodForm(data, products=products)
    if not form.is_valid():
        return form, None
    product = (
        selectors.by_public_id(Product, clinic, form.cleaned_data["product"])
        if form.cleaned_data.get("product")
        else None
    )
    return form, reports.Period(clinic, form.cleaned_data["start"], form.cleaned_data["end"], product)


def _report(request: AuthenticatedRequest, kind: str, fmt: str) -> HttpResponse:
    clinic = register_clinic(request)
    form, chosen = _period(clinic, request.GET)
    if chosen is None:
        return _page(request, clinic, form, status=422)
    if fmt == "pdf":
        entries = reports.entry_count(chosen, kind)
        if entries > _inline_limit():
            # Too long to lay out while a web worker waits: offer the queue instead.
            return render(
                request,
                "register/report_prepare.html",
                {
                    **page_context(request, clinic),
                    "form": form,
                    "report": kind,
                    "title": reports.TITLES[kind],
                    "entries": entries,
                },
            )
    record_access_event(
        action="export",
        outcome="granted",
        clinic=clinic,
        object_type="register_report",
        object_id=f"{kind}.{fmt}",
    )
    return reports.respond(request.user, chosen, kind, fmt)


@admin_object_view("register_report", "", action="read")
def extract_csv(request: AuthenticatedRequest) -> HttpResponse:
    return _report(request, "extract", "csv")


@admin_object_view("register_report", "", action="read")
def extract_pdf(request: AuthenticatedRequest) -> HttpResponse:
    return _report(request, "extract", "pdf")


@admin_object_view("register_report", "", action="read")
def inventory_pdf(request: AuthenticatedRequest) -> HttpResponse:
    return _report(request, "inventory", "pdf")


@admin_object_view("register_report", "", action="read")
def inspection_pdf(request: AuthenticatedRequest) -> HttpResponse:
    return _report(request, "inspection", "pdf")


@require_POST
@admin_object_view("register_report", "", action="export")
def prepare_report(request: AuthenticatedRequest) -> HttpResponse:
    """Ask the queue to prepare a report's PDF; its status page offers the download."""
    clinic = register_clinic(request)
    report = request.POST.get("report", "")
    form, chosen = _period(clinic, request.POST)
    if report not in PDF_REPORTS:
        form.add_error(None, f"report: choose one of {', '.join(PDF_REPORTS)}")
        return _page(request, clinic, form, status=422)
    if chosen is None:
        return _page(request, clinic, form, status=422)
    with transaction.atomic():
        export = request_export(
            user=request.user,
            kind=KIND,
            clinic=clinic,
            params={"report": report, **chosen.params()},
            filename_stem=f"register-{report}-{chosen.slug}",
            expected_rows=reports.entry_count(chosen, report),
        )
        record_access_event(
            action="export",
            outcome="granted",
            clinic=clinic,
            object_type="register_report",
            object_id=str(export.public_id),
        )
    return redirect("ops:export", export_id=export.public_id)
