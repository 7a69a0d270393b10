"""REMS patient monitoring forms: the clinic's forms due, one form to answer and submit, CSV and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.accounts.gates import staff_object_view, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event, transaction_with_held_rows
from ketacare.clinics.selectors import active_clinic
from ketacare.lib.csvsafe import csv_safe
from ketacare.lib.errors import FieldError
from ketacare.treatments import forms, instructions, selectors, services
from ketacare.treatments.models import RemsForm, TreatmentSession
from ketacare.treatments.services.rems import FORTY_MIN_TOLERANCE, forty_minute_checkpoint
from ketacare.treatments.views._common import apply_error, write_audited_when_written


@staff_required
@require_GET
def rems_forms_due(request: AuthenticatedRequest) -> HttpResponse:
    """The active clinic's REMS patient monitoring forms still to submit, with their 7-day deadline."""
    clinic = active_clinic(request)
    assert clinic is not None  # noqa: S101 - staff_required
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="rems_forms_due")
    context = {
        "due": list(selectors.forms_due(clinic)),
        "submitted": selectors.recent_submitted_forms(clinic),
        "now": timezone.now(),
        "zone": clinic.time_zone,
    }
    return render(request, "treatments/rems_due.html", context)


def _rems_form_for(
    request: AuthenticatedRequest, session_id: str, action: str
) -> tuple[TreatmentSession, RemsForm]:
    """The session and its REMS form, the access audited as what happened.

    A session without a form (an IV session, or esketamine not yet discharged) answers 404: nothing was
    exported or written, so the access is recorded as the read it was (the session was opened and found
    to have no form; docs/decisions/0029), never as a granted export.
    """
    try:
        key: uuid.UUID | None = uuid.UUID(str(session_id))
    except ValueError:
        key = None  # access_session refuses it, audited as denied
    has_form = key is not None and RemsForm.objects.filter(session__public_id=key).exists()
    session = selectors.access_session(request.user, session_id, action=action if has_form else "read")
    form = RemsForm.objects.filter(session=session).first() if has_form else None
    if form is None:
        raise Http404("No REMS form for this session")
    return session, form


def _facts_context(session: TreatmentSession, rems: RemsForm) -> dict[str, object]:
    """What `_rems_facts.html` shows (the form page and the PDF): the form and the 40-minute window."""
    window = None
    if session.dose_started_at is not None:
        due = forty_minute_checkpoint(session).astimezone(selectors.clinic_zone(session.clinic))
        window = {"due": f"{due:%H:%M}", "tolerance_min": int(FORTY_MIN_TOLERANCE.total_seconds() // 60)}
    return {"session": session, "rems": rems, "zone": session.clinic.time_zone, "forty_window": window}


@staff_object_view("treatment_session", "session_id")
@require_http_methods(["GET", "POST"])
@write_audited_when_written
def rems_form(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """Answer and submit one REMS form (prefilled from the run-sheet)."""
    session, rems = _rems_form_for(request, session_id, "read" if request.method == "GET" else "write")
    initial = {f: getattr(rems, f) for f in services.REMS_EDITABLE}
    initial = {
        k: ("" if v is None else ("true" if v is True else "false" if v is False else v))
        for k, v in initial.items()
    }
    form = forms.RemsAnswersForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            submit = data.pop("submit")
            reference = data.pop("submission_reference")
            try:
                with transaction_with_held_rows():
                    services.update_rems_form(
                        form=rems,
                        user=request.user,
                        answers=data,
                        submit=submit,
                        submission_reference=reference,
                    )
            except FieldError as error:
                apply_error(form, error)
            else:
                messages.success(request, "REMS form saved." + (" Marked as submitted." if submit else ""))
                return redirect("treatments:rems_form", session_id=session.public_id)
        status = 422
    return render(
        request,
        "treatments/rems_form.html",
        {**_facts_context(session, rems), "form": form},
        status=status,
    )


REMS_CSV_FIELDS = [
    "session_public_id",
    "patient_name",
    "date_of_birth",
    "session_date",
    "dose_mg",
    "total_monitoring_min",
    "bp_pre_systolic_mmhg",
    "bp_pre_diastolic_mmhg",
    "bp_40min_systolic_mmhg",
    "bp_40min_diastolic_mmhg",
    "bp_end_systolic_mmhg",
    "bp_end_diastolic_mmhg",
    "vitals_acceptable_before",
    "vitals_acceptable_end",
    "sedation_occurred",
    "dissociation_occurred",
    "respiratory_changes_occurred",
    "ready_to_leave_min",
    "benzodiazepines",
    "non_benzo_sedative_hypnotics",
    "psychostimulants",
    "maois",
    "due_at",
    "submitted_at",
    "submission_reference",
]


# Times as the register extract and the patient's records CSV write them, the header saying so.
REMS_CSV_TIME_FIELDS = ("due_at", "submitted_at")
REMS_CSV_TIME_NOTE = " (clinic time, ISO 8601 with UTC offset)"


def _rems_csv_cell(value: object, zone: ZoneInfo) -> str:
    """A cell as a person reads it: yes/no, a time on the clinic's clock to the second, else the text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    return csv_safe(value)


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def rems_form_csv(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """One REMS form as CSV (header row + one row)."""
    session, rems = _rems_form_for(request, session_id, "export")
    zone = selectors.clinic_zone(session.clinic)
    row = {
        "session_public_id": session.public_id,
        "patient_name": session.patient.full_name,
        "date_of_birth": session.patient.date_of_birth,
        "session_date": session.dose_started_at.astimezone(zone).date() if session.dose_started_at else "",
    }
    for field in REMS_CSV_FIELDS:
        if field not in row:
            row[field] = getattr(rems, field)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f + REMS_CSV_TIME_NOTE if f in REMS_CSV_TIME_FIELDS else f for f in REMS_CSV_FIELDS])
    writer.writerow([_rems_csv_cell(row[f], zone) for f in REMS_CSV_FIELDS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rems-patient-monitoring-form.csv"'
    return response


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def rems_form_pdf(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """One REMS form as a PDF to keep or fax."""
    session, rems = _rems_form_for(request, session_id, "export")
    html = render_to_string("treatments/rems_pdf.html", _facts_context(session, rems))
    response = HttpResponse(instructions.to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="rems-patient-monitoring-form.pdf"'
    return response
