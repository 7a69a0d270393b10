"""The clinic outcomes page and its CSV export (staff; aggregates only)."""

from __future__ import annotations

import csv
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.accounts.gates import staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_clinic
from ketacare.core.published_outcomes import HONEST_NOTE, published
from ketacare.lib.csvsafe import csv_safe
from ketacare.lib.dates import parse_day
from ketacare.lib.errors import FieldError
from ketacare.outcomes.charts import funnel_bars, km_step_chart
from ketacare.outcomes.forms import OutcomeFilterForm
from ketacare.outcomes.selectors import (
    INTERVAL_GRID_MIN,
    Outcomes,
    Period,
    administered_clinic_count,
    clinic_outcomes,
    csv_rows,
    outcome_clinics,
)
from ketacare.outcomes.timeline import KINDS, patient_timeline
from ketacare.patients.selectors import access_patient


def _compute(request: AuthenticatedRequest) -> tuple[OutcomeFilterForm, list[Clinic], Outcomes | None]:
    """The form and the numbers under its filters; no numbers while a filter is invalid (the page
    says so), never the unfiltered ones in their place."""
    form = OutcomeFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data: dict[str, Any] = form.cleaned_data if form.is_bound and valid else {}
    clinics = outcome_clinics(request.user, active_clinic(request), scope=data.get("scope") or "clinic")
    if not clinics:
        raise Http404("Not found")
    if not valid:
        return form, clinics, None
    period = Period(start=data.get("start"), end=data.get("end"))
    outcomes = clinic_outcomes(clinics=clinics, period=period, instrument_id=data.get("instrument") or "phq9")
    return form, clinics, outcomes


@staff_required
def outcomes_page(request: AuthenticatedRequest) -> HttpResponse:
    """Response and remission with 95% CIs, time to relapse, side effects, drop-out funnel."""
    form, clinics, outcomes = _compute(request)
    if outcomes is None:
        return render(
            request,
            "outcomes/page.html",
            {
                "form": form,
                "o": None,
                "clinic_names": [c.name for c in clinics],
                "can_see_all": administered_clinic_count(request.user) > 1,
            },
            status=400,
        )
    record_access_event(
        action="read", outcome="granted", clinic=active_clinic(request), object_type="outcomes"
    )
    chart = km_step_chart(outcomes.relapse)
    bars = funnel_bars(
        outcomes.funnel_planned, [(f"Session {s.sessions}", s.patients, s.share) for s in outcomes.funnel]
    )
    return render(
        request,
        "outcomes/page.html",
        {
            "form": form,
            "o": outcomes,
            "clinic_names": outcomes.clinic_names,
            "chart": chart,
            "bars": bars,
            "funnel_height": 16 + 28 * len(bars),
            "published_response": published("response"),
            "published_remission": published("remission"),
            "published_relapse": published("median_days_to_relapse"),
            "honest_note": HONEST_NOTE,
            "interval_grid": INTERVAL_GRID_MIN,
            "can_see_all": administered_clinic_count(request.user) > 1,
            "query": request.GET.urlencode(),
        },
    )


@staff_required
def outcomes_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The same tables as CSV (aggregates only; the export is audited)."""
    form, _, outcomes = _compute(request)
    if outcomes is None:
        # Not a file of unfiltered numbers under the name of the filters asked for.
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(
            f"Filters not applied, no numbers exported: {problems}",
            content_type="text/plain; charset=utf-8",
            status=400,
        )
    record_access_event(
        action="export", outcome="granted", clinic=active_clinic(request), object_type="outcomes"
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="outcomes-{outcomes.instrument_id}-{stamp}.csv"'
    writer = csv.writer(response)
    for row in csv_rows(outcomes):
        # Neutralise spreadsheet formulas in labels (CSV injection).
        writer.writerow([csv_safe(c, keep_numbers=True) for c in row])
    return response


@staff_required
def patient_timeline_view(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """One scrollable timeline of a patient for clinicians, filtered by kind and dates."""
    import datetime as dt
    import zoneinfo

    patient = access_patient(request.user, patient_id, action="read")
    kinds = {k for k in request.GET.getlist("kind") if k in KINDS}
    errors = []
    bounds: list[dt.datetime | None] = []
    for name in ("start", "end"):
        raw = request.GET.get(name, "")[:10]
        value = None
        if raw:
            try:
                day = parse_day(raw, field=name)
            except FieldError as error:
                errors.append(error.message)
            else:
                # Dates are the clinic's calendar days, like every time on the page.
                value = dt.datetime.combine(
                    day + dt.timedelta(days=1 if name == "end" else 0),
                    dt.time(),
                    tzinfo=zoneinfo.ZoneInfo(patient.clinic.time_zone),
                )
        bounds.append(value)
    failed: list[str] = []
    entries = patient_timeline(
        patient=patient, kinds=kinds or None, window=(bounds[0], bounds[1]), failed=failed
    )
    return render(
        request,
        "outcomes/timeline.html",
        {
            "patient": patient,
            "entries": entries,
            "kinds": KINDS,
            "chosen": kinds,
            "errors": errors,
            "failed": [KINDS[k] for k in failed],
            "start": request.GET.get("start", "")[:10],
            "end": request.GET.get("end", "")[:10],
        },
    )
