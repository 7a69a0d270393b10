"""Treatment plan, run-sheet, discharge, REMS and clinic day pages (htmx, tablet-first).

Each POST calls one service. With htmx the response is the refreshed run-sheet (a form error stays in
its form, status 200 so htmx swaps it); without htmx a success redirects and an error re-renders the
page with status 422.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.gates import patient_required, staff_object_view, staff_required
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic, active_membership
from ketacare.core.instruments import get_instrument
from ketacare.core.protocols import get_protocol
from ketacare.lib.csvsafe import csv_safe as _csv_safe
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.patients.selectors import access_patient
from ketacare.treatments import forms, instructions, selectors, services
from ketacare.treatments.calendar import appointments_ics
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import RemsForm, TreatmentSession
from ketacare.treatments.timeline import build_timeline

View = Callable[..., HttpResponse]


def _apply_error(form: django_forms.Form, error: FieldError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _zone(session: TreatmentSession) -> str:
    return session.clinic.time_zone


def _now_local(tz: str) -> str:
    import zoneinfo

    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


# --------------------------------------------------------------------------------------------------
# Plan and appointments
# --------------------------------------------------------------------------------------------------


@staff_object_view("patient", "patient_id")
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The patient's treatment plan and appointments; POST creates a plan."""
    patient = access_patient(request.user, patient_id, action="read" if request.method == "GET" else "write")
    tz = patient.clinic.time_zone
    form = forms.PlanForm(request.POST or None, zone=tz, initial={"first_session_at": _now_local(tz)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_treatment_plan(
                    patient=patient,
                    user=request.user,
                    protocol_id=data["protocol_id"],
                    preset_id=data["preset_id"] or None,
                    first_session_at=data["first_session_at"],
                    weight_kg=data["weight_kg"],
                    weight_measured_on=data["weight_measured_on"],
                    mg_per_kg=data["mg_per_kg"],
                    weekdays=[int(d) for d in data["weekdays"]] or None,
                    session_count=data["session_count"],
                    maintenance_policy=data["maintenance_policy"],
                    notes=data["notes"],
                )
            except FieldError as error:
                _apply_error(form, error)
            else:
                messages.success(request, "Treatment plan created.")
                return redirect("treatments:plan", patient_id=patient.public_id)
        status = 422
    current = selectors.current_plan(patient)
    appointments = list(current.appointments.select_related("session").all()) if current else []
    context = {
        "patient": patient,
        "plan": current,
        "appointments": appointments,
        "sessions": selectors.patient_sessions(patient)[:50],
        "form": form,
        "zone": tz,
        "reschedule_form": forms.RescheduleForm(zone=tz),
    }
    return render(request, "treatments/plan.html", context, status=status)


@staff_object_view("patient", "patient_id")
@require_GET
def plan_ics(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The patient's appointments as iCalendar for the clinic's calendar."""
    patient = access_patient(request.user, patient_id, action="export")
    body = appointments_ics(patient, audience="clinic")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointments.ics"'
    return response


@staff_object_view("patient", "patient_id", action="write")
@require_POST
def appointment_reschedule(request: HttpRequest, patient_id: str, appointment_id: str) -> HttpResponse:
    """Move one appointment (the plan is editable)."""
    patient = access_patient(request.user, patient_id, action="write")
    appointment = selectors.access_appointment(request.user, patient, appointment_id)
    form = forms.RescheduleForm(request.POST, zone=patient.clinic.time_zone)
    if form.is_valid():
        try:
            services.reschedule_appointment(
                appointment=appointment, user=request.user, starts_at=form.cleaned_data["starts_at"]
            )
            messages.success(request, f"Appointment {appointment.number} moved.")
        except FieldError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Enter the new time as YYYY-MM-DDTHH:MM.")
    return redirect("treatments:plan", patient_id=patient.public_id)


@staff_object_view("patient", "patient_id", action="write")
@require_POST
def book_maintenance(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Book one maintenance session on the patient's active plan (from the plan page or an alert)."""
    patient = access_patient(request.user, patient_id, action="write")
    plan_ = selectors.current_plan(patient)
    form = forms.BookMaintenanceForm(request.POST, zone=patient.clinic.time_zone)
    if plan_ is None:
        messages.error(request, "plan: this patient has no active treatment plan to book on")
    elif form.is_valid():
        try:
            appointment = services.book_maintenance_session(
                plan=plan_, user=request.user, starts_at=form.cleaned_data["starts_at"], now=timezone.now()
            )
            local = timezone.localtime(appointment.starts_at, selectors.clinic_zone(patient.clinic))
            messages.success(request, f"Maintenance session booked for {local:%a %d %b %Y %H:%M}.")
        except FieldError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "starts_at: enter the time as YYYY-MM-DDTHH:MM (clinic time)")
    return redirect("treatments:plan", patient_id=patient.public_id)


# --------------------------------------------------------------------------------------------------
# Run-sheet
# --------------------------------------------------------------------------------------------------


def _sheet_context(request: HttpRequest, session: TreatmentSession, **bound: Any) -> dict[str, Any]:
    now = timezone.now()
    tz = _zone(session)
    default_time = {"measured_at": _now_local(tz)}
    protocol = get_protocol(session.protocol_id)
    rules = selectors.route_rules(session)
    vitals = list(session.vitals.order_by("measured_at", "id"))
    state = selectors.effective_state(session, now)
    ready = selectors.readiness(session, now, ride_present=True, instructions_given=True)
    required = selectors.observation_minutes(session)
    minutes = selectors.minutes_since_dose_end(session, now)
    doses = list(session.doses.order_by("started_at", "id"))
    device = protocol.device
    next_device_at = None
    if device is not None and doses:
        next_device_at = doses[-1].started_at + dt.timedelta(minutes=device.wait_between_devices_minutes)
    membership = active_membership(request)
    flags = [f for v in vitals if not v.entered_in_error and v.kind == "in_session" for f in v.flags]
    latest = [v for v in vitals if not v.entered_in_error and v.kind == "in_session"]
    context = {
        "session": session,
        "patient": session.patient,
        "protocol": protocol,
        "rules": rules,
        "state": state,
        "state_label": dict(TreatmentSession.State.choices)[state],
        "now": now,
        "zone": tz,
        "vitals": vitals,
        "doses": doses,
        "observations": list(session.observations.order_by("observed_at", "id")),
        "adverse_events": list(session.adverse_events.order_by("occurred_at", "id")),
        "checkpoints": selectors.checkpoints(session, now),
        "timeline": build_timeline(session, now),
        "readiness": ready,
        "unmet": list(ready.unmet) if ready else [],
        "required_minutes": required,
        "minutes_observed": minutes,
        "minutes_left": max(0, required - minutes) if minutes is not None else None,
        "earliest_discharge_at": (
            session.dose_ended_at + dt.timedelta(minutes=required) if session.dose_ended_at else None
        ),
        "latest_flags": latest[-1].flags if latest else [],
        "flag_count": len(flags),
        "next_device_at": next_device_at,
        "device": device,
        "is_prescriber": membership is not None and membership.role == "prescriber",
        "checkin_form": forms.CheckInForm(zone=tz, initial={"checked_in_at": _now_local(tz)}),
        "vitals_form": forms.VitalsForm(zone=tz, initial=default_time),
        "hold_form": forms.HoldOverrideForm(),
        "dose_form": forms.DoseForm(
            zone=tz,
            initial={
                "started_at": _now_local(tz),
                "dose_mg": device.mg_per_device if device else session.planned_dose_mg,
            },
        ),
        "end_form": forms.EndDosingForm(zone=tz, initial={"ended_at": _now_local(tz)}),
        "observation_form": forms.ObservationForm(zone=tz, initial={"observed_at": _now_local(tz)}),
        "ae_form": forms.AdverseEventForm(zone=tz, initial={"occurred_at": _now_local(tz)}),
        "discharge_form": forms.DischargeForm(),
        "cancel_form": forms.CancelForm(),
        "refused": None,
    }
    if "pre_dose" not in bound:
        context.update(_pre_dose_context(session))
    if "recovery" not in bound:  # the live panel passes recovery=None: the estimate is not in it
        context["recovery"] = selectors.session_recovery_estimate(session)
    context.update(bound)
    for key, value in context.items():
        # Several forms share field names (started_at, ended_at): give each its own element ids.
        if key.endswith("_form") and isinstance(value, django_forms.Form):
            value.auto_id = f"{key}_%s"
    return context


def _pre_dose_context(
    session: TreatmentSession,
    *,
    failed: str = "",
    errors: list[str] | None = None,
    selected: dict[str, int] | None = None,
    skip_form: django_forms.Form | None = None,
) -> dict[str, Any]:
    """The questionnaires due before this session, each with its entry form (or the failed one's errors)."""
    rows = []
    crisis = []
    for item in selectors.pre_dose_questionnaires(session):
        key = str(item.assignment.public_id)
        mine = key == failed
        rows.append(
            {
                "item": item,
                "key": key,
                "idempotency_key": uuid.uuid4().hex,
                "questions": [
                    {"item": q, "number": n, "selected": (selected or {}).get(q.id) if mine else None}
                    for n, q in enumerate(item.instrument.items, 1)
                ],
                "errors": errors if mine and errors else [],
                "skip_form": skip_form
                if mine and skip_form is not None
                else forms.SkipQuestionnaireForm(auto_id=f"skip_{key}_%s"),
                "open": mine,
            }
        )
        crisis += [(item.instrument.title, alert["message"]) for alert in item.crisis_alerts]
    return {"pre_dose": rows, "pre_dose_crisis": crisis}


@staff_object_view("treatment_session", "session_id")
@require_GET
def run_sheet(request: HttpRequest, session_id: str) -> HttpResponse:
    """The chair-side run-sheet; `?panel=live` is the self-refreshing clock/timeline/checklist part."""
    session = selectors.access_session(request.user, session_id)
    live = bool(request.htmx) and request.GET.get("panel") == "live"  # type: ignore[attr-defined]
    context = _sheet_context(request, session, **({"recovery": None} if live else {}))
    if live:
        return render(request, "treatments/run_sheet.html#live", context)
    return render(request, "treatments/run_sheet.html", context)


def _action(
    request: HttpRequest,
    session_id: str,
    form_class: type[django_forms.Form],
    context_key: str,
    call: Callable[[TreatmentSession, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    session = selectors.access_session(request.user, session_id, action="write")
    form: django_forms.Form
    if issubclass(form_class, forms.ZonedForm):
        form = form_class(request.POST, zone=_zone(session))
    else:
        form = form_class(request.POST)
    extra: dict[str, Any] = {}
    if form.is_valid():
        try:
            call(session, form.cleaned_data)
        except DischargeRefused as error:
            extra["refused"] = error
            form.add_error(None, error.message)
        except NotPermitted as error:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.error(request, error.message)
                return redirect("treatments:run_sheet", session_id=session.public_id)
            _apply_error(form, error)
        except FieldError as error:
            _apply_error(form, error)
        else:
            session.refresh_from_db()
            if request.htmx:  # type: ignore[attr-defined]
                return render(request, "treatments/run_sheet.html#sheet", _sheet_context(request, session))
            messages.success(request, success)
            return redirect("treatments:run_sheet", session_id=session.public_id)
    session.refresh_from_db()
    context = _sheet_context(request, session, **{context_key: form}, **extra)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "treatments/run_sheet.html#sheet", context)
    return render(request, "treatments/run_sheet.html", context, status=422)


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def check_in(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.CheckInForm,
        "checkin_form",
        lambda s, d: services.check_in_session(
            session=s,
            user=request.user,
            weight_kg=d["weight_kg"],
            fasting_confirmed=d["fasting_confirmed"],
            ride_home_confirmed=d["ride_home_confirmed"],
            medication_changes=d["medication_changes"],
            checked_in_at=d["checked_in_at"],
        ),
        "Checked in.",
    )


def _pre_dose_done(request: HttpRequest, session: TreatmentSession, message: str) -> HttpResponse:
    session.refresh_from_db()
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "treatments/run_sheet.html#sheet", _sheet_context(request, session))
    messages.success(request, message)
    return redirect("treatments:run_sheet", session_id=session.public_id)


def _pre_dose_failed(request: HttpRequest, session: TreatmentSession, **failed: Any) -> HttpResponse:
    session.refresh_from_db()
    context = _sheet_context(request, session, **_pre_dose_context(session, **failed))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "treatments/run_sheet.html#sheet", context)
    return render(request, "treatments/run_sheet.html", context, status=422)


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def pre_dose_questionnaire(request: HttpRequest, session_id: str, assignment_id: str) -> HttpResponse:
    """The nurse enters a due questionnaire's answers at the chair (rendered from the core definition)."""
    session = selectors.access_session(request.user, session_id, action="write")
    assignment = selectors.pre_dose_assignment(session, assignment_id)
    instrument = get_instrument(assignment.instrument_id)
    answers, errors = forms.parse_answers(instrument, request.POST)
    if not errors:
        try:
            services.record_pre_dose_questionnaire(
                session=session,
                user=request.user,
                assignment=assignment,
                answers=answers,
                idempotency_key=request.POST.get("idempotency_key", "")[:64] or uuid.uuid4().hex,
            )
        except FieldError as error:
            errors = [error.message]
        else:
            return _pre_dose_done(request, session, f"{instrument.title} recorded.")
    return _pre_dose_failed(
        request, session, failed=str(assignment.public_id), errors=errors, selected=answers
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def pre_dose_questionnaire_skip(request: HttpRequest, session_id: str, assignment_id: str) -> HttpResponse:
    """The nurse records that a due questionnaire was not done, with the reason."""
    session = selectors.access_session(request.user, session_id, action="write")
    assignment = selectors.pre_dose_assignment(session, assignment_id)
    key = str(assignment.public_id)
    form = forms.SkipQuestionnaireForm(request.POST, auto_id=f"skip_{key}_%s")
    if form.is_valid():
        try:
            services.skip_pre_dose_questionnaire(
                session=session,
                user=request.user,
                assignment=assignment,
                reason=form.cleaned_data["skip_reason"],
            )
        except FieldError as error:
            _apply_error(form, error)
        else:
            return _pre_dose_done(request, session, "Questionnaire marked as skipped.")
    return _pre_dose_failed(request, session, failed=key, skip_form=form)


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def vitals(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.VitalsForm,
        "vitals_form",
        lambda s, d: services.record_vital_signs(
            session=s,
            user=request.user,
            systolic_mmhg=d["systolic_mmhg"],
            diastolic_mmhg=d["diastolic_mmhg"],
            heart_rate_bpm=d["heart_rate_bpm"],
            spo2_pct=d["spo2_pct"],
            measured_at=d["measured_at"],
        ),
        "Vital signs recorded.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def hold_override(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.HoldOverrideForm,
        "hold_form",
        lambda s, d: services.override_hold(session=s, user=request.user, reason=d["hold_override_reason"]),
        "Hold overridden.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def dose(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.DoseForm,
        "dose_form",
        lambda s, d: services.record_dose(
            session=s,
            user=request.user,
            dose_mg=d["dose_mg"],
            lot_number=d["lot_number"],
            started_at=d["started_at"],
            ended_at=d["ended_at"],
            out_of_bounds_reason=d["out_of_bounds_reason"],
        ),
        "Dose recorded.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def end_dosing(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.EndDosingForm,
        "end_form",
        lambda s, d: services.end_dosing(session=s, user=request.user, ended_at=d["ended_at"]),
        "Dosing ended.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def observation(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.ObservationForm,
        "observation_form",
        lambda s, d: services.record_observation(
            session=s,
            user=request.user,
            moaas_score=d["moaas_score"],
            dissociation=d["dissociation"],
            respiratory_concern=d["respiratory_concern"],
            note=d["note"],
            observed_at=d["observed_at"],
        ),
        "Observation recorded.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def adverse_event(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.AdverseEventForm,
        "ae_form",
        lambda s, d: services.record_adverse_event(
            session=s,
            user=request.user,
            description=d["description"],
            severity=d["severity"],
            action_taken=d["action_taken"],
            occurred_at=d["occurred_at"],
        ),
        "Adverse event recorded.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def entered_in_error(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.EnteredInErrorForm,
        "error_form",
        lambda s, d: services.mark_entered_in_error(
            session=s, user=request.user, kind=d["kind"], entry_id=str(d["entry_id"])
        ),
        "Marked as entered in error.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def discharge(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.DischargeForm,
        "discharge_form",
        lambda s, d: services.discharge_session(
            session=s,
            user=request.user,
            ride_present=d["ride_present"],
            instructions_given=d["instructions_given"],
            override_reason=d["override_reason"],
        ),
        "Discharged.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def cancel(request: HttpRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.CancelForm,
        "cancel_form",
        lambda s, d: services.cancel_session(session=s, user=request.user, reason=d["cancel_reason"]),
        "Session cancelled.",
    )


# --------------------------------------------------------------------------------------------------
# Discharge instructions
# --------------------------------------------------------------------------------------------------


@staff_object_view("treatment_session", "session_id")
@require_GET
def discharge_instructions(request: HttpRequest, session_id: str) -> HttpResponse:
    """The patient's discharge instructions for this session (to explain and hand over)."""
    session = selectors.access_session(request.user, session_id)
    context = instructions.build(session, timezone.now())
    return render(request, "treatments/instructions.html", context)


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def discharge_instructions_pdf(request: HttpRequest, session_id: str) -> HttpResponse:
    """The same instructions as a PDF for printing (WeasyPrint)."""
    session = selectors.access_session(request.user, session_id, action="export")
    context = instructions.build(session, timezone.now())
    html = render_to_string("treatments/instructions_pdf.html", context)
    response = HttpResponse(instructions.to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="discharge-instructions.pdf"'
    return response


# --------------------------------------------------------------------------------------------------
# REMS
# --------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def rems_forms_due(request: HttpRequest) -> HttpResponse:
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


def _rems_form_for(request: HttpRequest, session_id: str, action: str) -> tuple[TreatmentSession, RemsForm]:
    session = selectors.access_session(request.user, session_id, action=action)
    form = RemsForm.objects.filter(session=session).first()
    if form is None:
        raise Http404("No REMS form for this session")
    return session, form


@staff_object_view("treatment_session", "session_id")
@require_http_methods(["GET", "POST"])
def rems_form(request: HttpRequest, session_id: str) -> HttpResponse:
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
                services.update_rems_form(
                    form=rems, user=request.user, answers=data, submit=submit, submission_reference=reference
                )
            except FieldError as error:
                _apply_error(form, error)
            else:
                messages.success(request, "REMS form saved." + (" Marked as submitted." if submit else ""))
                return redirect("treatments:rems_form", session_id=session.public_id)
        status = 422
    return render(
        request,
        "treatments/rems_form.html",
        {"session": session, "rems": rems, "form": form, "zone": session.clinic.time_zone},
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


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def rems_form_csv(request: HttpRequest, session_id: str) -> HttpResponse:
    """One REMS form as CSV (header row + one row)."""
    session, rems = _rems_form_for(request, session_id, "export")
    row = {
        "session_public_id": session.public_id,
        "patient_name": session.patient.full_name,
        "date_of_birth": session.patient.date_of_birth,
        "session_date": session.dose_started_at.astimezone(selectors.clinic_zone(session.clinic)).date()
        if session.dose_started_at
        else "",
    }
    for field in REMS_CSV_FIELDS:
        if field not in row:
            row[field] = getattr(rems, field)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REMS_CSV_FIELDS)
    writer.writerow([_csv_safe(row[f]) for f in REMS_CSV_FIELDS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rems-patient-monitoring-form.csv"'
    return response


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def rems_form_pdf(request: HttpRequest, session_id: str) -> HttpResponse:
    """One REMS form as a PDF to keep or fax."""
    session, rems = _rems_form_for(request, session_id, "export")
    html = render_to_string(
        "treatments/rems_pdf.html", {"session": session, "rems": rems, "zone": session.clinic.time_zone}
    )
    response = HttpResponse(instructions.to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="rems-patient-monitoring-form.pdf"'
    return response


# --------------------------------------------------------------------------------------------------
# Clinic day view
# --------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def clinic_day(request: HttpRequest) -> HttpResponse:
    """Today's sessions (clinic zone) with state and overdue checkpoints; refreshes itself every 30 s."""
    clinic = active_clinic(request)
    assert clinic is not None  # noqa: S101 - staff_required
    now = timezone.now()
    day = selectors.today_in(clinic, now)
    raw = request.GET.get("day", "")
    if raw:
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="clinic_day")
    context = {
        "rows": selectors.clinic_day(clinic, day, now),
        "day": day,
        "now": now,
        "zone": clinic.time_zone,
        "clinic": clinic,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    template = "treatments/day.html#table" if request.htmx else "treatments/day.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# --------------------------------------------------------------------------------------------------
# Patient pages
# --------------------------------------------------------------------------------------------------


@patient_required
@require_GET
def my_appointments(request: HttpRequest) -> HttpResponse:
    """The patient's upcoming appointments (phone-first) with a calendar download."""
    patient = access_patient(request.user, request.user.patient.public_id)  # type: ignore[union-attr]
    upcoming = patient.appointments.filter(starts_at__gte=timezone.now() - dt.timedelta(hours=12)).order_by(
        "starts_at"
    )
    return render(
        request,
        "treatments/my_appointments.html",
        {"patient": patient, "appointments": upcoming, "zone": patient.time_zone, "clinic": patient.clinic},
    )


@patient_required
@require_GET
def my_appointments_ics(request: HttpRequest) -> HttpResponse:
    """The patient's appointments as iCalendar (no clinical details in the events)."""
    patient = access_patient(request.user, request.user.patient.public_id, action="export")  # type: ignore[union-attr]
    response = HttpResponse(
        appointments_ics(patient, audience="patient"), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-appointments.ics"'
    return response


def run_sheet_url(session: TreatmentSession) -> str:
    return reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
