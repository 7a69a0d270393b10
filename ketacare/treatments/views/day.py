"""The clinic day view: today's sessions with their state and overdue checkpoints."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.gates import staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.lib.dates import parse_day
from ketacare.lib.errors import FieldError
from ketacare.treatments import selectors


@staff_required
@require_GET
def clinic_day(request: AuthenticatedRequest) -> HttpResponse:
    """Today's sessions (clinic zone) with state and overdue checkpoints; refreshes itself every 30 s."""
    clinic = active_clinic(request)
    assert clinic is not None  # noqa: S101 - staff_required
    now = timezone.now()
    day = selectors.today_in(clinic, now)
    raw = request.GET.get("day", "")
    error = ""
    if raw:
        try:
            day = parse_day(raw[:10], field="day")
        except FieldError as refused:
            error = refused.message  # the page shows today, and says why
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="clinic_day")
    context = {
        "rows": selectors.clinic_day(clinic, day, now),
        "day": day,
        "now": now,
        "zone": clinic.time_zone,
        "clinic": clinic,
        "error": error,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    template = "treatments/day.html#table" if request.htmx else "treatments/day.html"
    return render(request, template, context)
