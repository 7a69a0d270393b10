"""The patient's treatment plan and appointments (staff): create, move, book maintenance, end, export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.gates import staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import transaction_with_held_rows
from ketacare.clinics.hours import format_opening_hours, is_open, next_opening
from ketacare.clinics.selectors import is_prescriber, opening_intervals
from ketacare.core.protocols import get_protocol
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.lib.forms import form_message
from ketacare.patients import facts
from ketacare.patients.selectors import access_patient
from ketacare.treatments import forms, selectors, services
from ketacare.treatments.calendar import appointments_ics
from ketacare.treatments.errors import InputsRefused
from ketacare.treatments.models import Route, TreatmentPlan
from ketacare.treatments.services.ending import ending_blocking_alerts, sessions_cancelled_by_ending
from ketacare.treatments.services.pathway import require_prescriber
from ketacare.treatments.views._common import apply_error, now_local, refused, write_audited_when_written


@staff_object_view("patient", "patient_id")
@require_http_methods(["GET", "POST"])
@write_audited_when_written
def plan(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The patient's treatment plan and appointments; POST creates a plan."""
    patient = access_patient(request.user, patient_id, action="read" if request.method == "GET" else "write")
    if request.method != "POST":
        return _plan_page(request, patient)
    form = forms.PlanForm(
        request.POST,
        zone=patient.clinic.time_zone,
        initial=_plan_initial(patient, facts.latest_weight(patient)),
    )
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction_with_held_rows():
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
                    gate_override_reason=data["gate_override_reason"],
                    hepatic_impairment=data["hepatic_impairment"] or "none",
                    finding_reason=data["finding_reason"],
                    book_outside_hours=data["book_outside_hours"],
                )
        except NotPermitted as error:
            # A role, not a form mistake: say so (403) and change nothing.
            return refused(
                request,
                error,
                back_url=reverse("treatments:plan", args=[patient.public_id]),
                patient=patient,
            )
        except InputsRefused as error:
            for each in error.errors:
                apply_error(form, each)
        except FieldError as error:
            apply_error(form, error)
            if isinstance(error, ConflictError) and error.field == "plan":
                # Not a mistake on the form: the patient's active plan stands in the way (as the API's 409).
                status = 409
        else:
            messages.success(request, "Treatment plan created.")
            _warn_outside_hours(request, patient)
            return redirect("treatments:plan", patient_id=patient.public_id)
    return _plan_page(request, patient, form=form, status=status)


def _plan_page(
    request: AuthenticatedRequest,
    patient: Any,
    *,
    form: forms.PlanForm | None = None,
    end_form: forms.EndPlanForm | None = None,
    confirm_booking: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The plan page: the active plan and its appointments (with the way to end it), else the ended
    courses and the form for a new plan. ``form`` and ``end_form`` carry what a refused POST typed."""
    tz = patient.clinic.time_zone
    weighed = facts.latest_weight(patient)
    if form is None:
        form = forms.PlanForm(zone=tz, initial=_plan_initial(patient, weighed))
    current = selectors.current_plan(patient)
    appointments = list(current.appointments.select_related("session").all()) if current else []
    # Without an active plan, the courses that ended: the last one told in full, the earlier ones listed.
    ended = selectors.ended_plans(patient) if current is None else []
    prescriber = is_prescriber(request.user, patient.clinic_id)
    context = {
        "patient": patient,
        "plan": current,
        "last_ended": ended[0] if ended else None,
        "earlier_ended": ended[1:],
        "appointments": appointments,
        "outside_hours": selectors.outside_opening_hours(patient.clinic, appointments),
        "clinic_hours": format_opening_hours(opening_intervals(patient.clinic)),
        "sessions": selectors.patient_sessions(patient)[:50],
        "form": form,
        # Next to the weight: the age the plan is made for (the first session's day decides the rules).
        "patient_age": selectors.age_years(patient, selectors.today_in(patient.clinic)),
        "weighed": weighed,
        # What the prescriber decided about eligibility and screening found: the plan is made, and each
        # session dosed, with them in view.
        "eligibility": facts.eligibility_precautions(patient),
        "zone": tz,
        "reschedule_form": forms.RescheduleForm(zone=tz),
        "gates": _gates(patient),
        **_plan_names(current),
        # The prescriber's notes, and apart from them what the knowledge base says about the schedule.
        "plan_notes": selectors.prescriber_notes(current) if current else "",
        "schedule_guidance": selectors.schedule_guidance(current) if current else None,
        "is_prescriber": prescriber,
        "confirm_booking": confirm_booking,
        **(_ending(current, end_form) if current is not None and prescriber else {}),
    }
    return render(request, "treatments/plan.html", context, status=status)


def _plan_initial(patient: Any, weighed: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"first_session_at": _first_time(patient.clinic)}
    if weighed is not None:
        # The weight recorded at intake, so the prescriber does not type it again (and can change it).
        initial |= {
            "weight_kg": weighed.weight_kg,
            "weight_measured_on": weighed.measured_at.astimezone(
                selectors.clinic_zone(patient.clinic)
            ).date(),
        }
    return initial


def _ending(plan_: TreatmentPlan, end_form: forms.EndPlanForm | None) -> dict[str, Any]:
    """What the prescriber's "End this course" card needs: the sessions it would cancel, whether one
    is in the chair or a suicide-risk or emergency alert is unresolved (then the plan cannot end yet),
    and the form (as typed, after a refusal)."""
    booked = sessions_cancelled_by_ending(plan_)
    if end_form is None:
        end_form = forms.EndPlanForm(initial={"plan_id": plan_.public_id, "booked": booked})
    return {
        "end_form": end_form,
        "end_booked": booked,
        "end_blocked": plan_.sessions.filter(state__in=selectors.LIVE_STATES).exists(),
        "end_alerts": ending_blocking_alerts(plan_),
    }


@staff_object_view("patient", "patient_id", action="write")
@require_POST
@write_audited_when_written
def end_plan(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """End the patient's active plan as completed or discontinued (a prescriber), after the page's
    confirmation naming the booked sessions that are cancelled with it."""
    patient = access_patient(request.user, patient_id, action="write")
    back = reverse("treatments:plan", args=[patient.public_id])
    try:
        # A role, not a form mistake: refused before the form is read, whatever it holds.
        require_prescriber(request.user, patient.clinic_id, field="ended_as", action="end a treatment plan")
    except NotPermitted as error:
        return refused(request, error, back_url=back, patient=patient)
    form = forms.EndPlanForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        plan_ = TreatmentPlan.objects.filter(patient=patient, public_id=data["plan_id"]).first()
        if plan_ is None:
            raise Http404("Not found")
        booked = sessions_cancelled_by_ending(plan_)
        try:
            if plan_.status == TreatmentPlan.Status.ACTIVE and booked != data["booked"]:
                # The page promised another number: the prescriber confirms what will really happen.
                raise FieldError(
                    "confirm",
                    f"{booked} booked session{pluralize(booked)} would now be cancelled, not "
                    f"{data['booked']} as the page said: check the appointments and confirm again",
                )
            with transaction_with_held_rows():
                ended = services.end_treatment_plan(
                    plan=plan_, user=request.user, ended_as=data["ended_as"], reason=data["end_reason"]
                )
        except NotPermitted as error:
            return refused(request, error, back_url=back, patient=patient)
        except FieldError as error:
            plan_.refresh_from_db(fields=["status"])
            if plan_.status != TreatmentPlan.Status.ACTIVE:
                # Ended already (a second click, another tab): the page shows how it ended.
                messages.error(request, form_message(error.field, error.message))
                return redirect("treatments:plan", patient_id=patient.public_id)
            apply_error(form, error)
        else:
            cancelled = (
                f"{booked} booked session{pluralize(booked)} cancelled" if booked else "nothing was booked"
            )
            messages.success(request, f"Course ended: {ended.get_ended_as_display().lower()}; {cancelled}.")
            return redirect("treatments:plan", patient_id=patient.public_id)
    return _plan_page(request, patient, end_form=form, status=422)


def _first_time(clinic: Any) -> str:
    """The form's first-session time: now, or when the clinic next opens if it is closed now (a plan
    made at night would otherwise book its whole course at that hour)."""
    now = timezone.now().astimezone(selectors.clinic_zone(clinic))
    intervals = opening_intervals(clinic)
    if intervals and not is_open(intervals, now):
        opens = next_opening(intervals, now)
        if opens is not None:
            return opens.strftime("%Y-%m-%dT%H:%M")
    return now_local(clinic.time_zone)


def _warn_outside_hours(request: AuthenticatedRequest, patient: Any) -> None:
    plan_ = selectors.current_plan(patient)
    if plan_ is None:
        return
    outside = selectors.outside_opening_hours(
        patient.clinic, list(plan_.appointments.select_related("session"))
    )
    if outside:
        hours = format_opening_hours(opening_intervals(patient.clinic))
        messages.warning(
            request,
            f"{len(outside)} booked appointment{'s' if len(outside) != 1 else ''} "
            f"{'fall' if len(outside) != 1 else 'falls'} outside the clinic's opening hours ({hours}): "
            "check the times marked below.",
        )


def _plan_names(plan: Any) -> dict[str, str]:
    """The protocol's and preset's names for the page (people read names, not the data's ids)."""
    if plan is None:
        return {"plan_protocol_name": "", "plan_preset_name": ""}
    try:
        protocol = get_protocol(plan.protocol_id)
    except ValueError:
        return {"plan_protocol_name": "Treatment plan", "plan_preset_name": ""}
    try:
        preset = protocol.preset(plan.preset_id).name if plan.preset_id else ""
    except ValueError:
        preset = ""
    return {"plan_protocol_name": protocol.name, "plan_preset_name": preset}


def _gates(patient: Any) -> list[dict[str, Any]]:
    """The plan gate for each route the clinic plans, with a link to the intake step that fixes each item."""
    intake = reverse("intake:page", kwargs={"patient_id": patient.public_id})
    anchors = {
        "screening": "#intake-screening",
        "decision": "#intake-screening",
        "consent": "#intake-consent",
    }
    out = []
    for route, label in Route.choices:
        gate = selectors.plan_gate(patient, route)
        out.append(
            {
                "route": route,
                "label": label,
                "ok": gate.ok,
                "blocked": gate.blocked,
                "missing": [{"item": m, "link": intake + anchors.get(m.step, "")} for m in gate.missing],
            }
        )
    return out


@staff_object_view("patient", "patient_id")
@require_GET
def plan_ics(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The patient's appointments as iCalendar for the clinic's calendar."""
    patient = access_patient(request.user, patient_id, action="export")
    body = appointments_ics(patient, audience="clinic")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointments.ics"'
    return response


@staff_object_view("patient", "patient_id", action="write")
@require_POST
@write_audited_when_written
def appointment_reschedule(
    request: AuthenticatedRequest, patient_id: str, appointment_id: str
) -> HttpResponse:
    """Move one appointment (the plan is editable)."""
    patient = access_patient(request.user, patient_id, action="write")
    appointment = selectors.access_appointment(request.user, patient, appointment_id)
    form = forms.RescheduleForm(request.POST, zone=patient.clinic.time_zone)
    if not form.is_valid():
        messages.error(request, "Enter the new time as YYYY-MM-DDTHH:MM.")
        return redirect("treatments:plan", patient_id=patient.public_id)

    def move() -> str:
        services.reschedule_appointment(
            appointment=appointment,
            user=request.user,
            starts_at=form.cleaned_data["starts_at"],
            book_anyway=form.cleaned_data["book_anyway"],
        )
        return f"Appointment {appointment.number} moved."

    return _book_or_ask(request, patient, move, ask=f"Move appointment {appointment.number} anyway")


@staff_object_view("patient", "patient_id", action="write")
@require_POST
@write_audited_when_written
def book_maintenance(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Book one maintenance session on the patient's active plan (from the plan page or an alert)."""
    patient = access_patient(request.user, patient_id, action="write")
    plan_ = selectors.current_plan(patient)
    form = forms.BookMaintenanceForm(request.POST, zone=patient.clinic.time_zone)
    if plan_ is None:
        messages.error(request, "plan: this patient has no active treatment plan to book on")
        return redirect("treatments:plan", patient_id=patient.public_id)
    if not form.is_valid():
        messages.error(request, "starts_at: enter the time as YYYY-MM-DDTHH:MM (clinic time)")
        return redirect("treatments:plan", patient_id=patient.public_id)

    def book() -> str:
        appointment = services.book_maintenance_session(
            plan=plan_,
            user=request.user,
            starts_at=form.cleaned_data["starts_at"],
            now=timezone.now(),
            book_anyway=form.cleaned_data["book_anyway"],
        )
        local = timezone.localtime(appointment.starts_at, selectors.clinic_zone(patient.clinic))
        return f"Maintenance session booked for {local:%a %d %b %Y %H:%M}."

    return _book_or_ask(request, patient, book, ask="Book the maintenance session anyway")


def _book_or_ask(
    request: AuthenticatedRequest, patient: Any, write: Callable[[], str], *, ask: str
) -> HttpResponse:
    """Book or move a session with ``write`` (which returns what to tell the prescriber), then back to the
    plan page, with a warning for a time outside the opening hours.

    A time the service books only once confirmed (less than 24 hours from another session, refused
    naming ``book_anyway``) gets the plan page asking the prescriber, with the same time posted again
    with ``book_anyway`` under the button ``ask``: nothing was written (409). Any other refusal is
    shown on the plan page; a role refusal is a 403."""
    try:
        with transaction_with_held_rows():
            done = write()
    except NotPermitted as error:
        return refused(
            request, error, back_url=reverse("treatments:plan", args=[patient.public_id]), patient=patient
        )
    except FieldError as error:
        if error.field == "book_anyway":
            question = {
                "message": error.message,
                "action": request.path,
                "starts_at": request.POST["starts_at"],
                "button": ask,
            }
            return _plan_page(request, patient, confirm_booking=question, status=409)
        messages.error(request, error.message)
    else:
        messages.success(request, done)
        _warn_outside_hours(request, patient)
    return redirect("treatments:plan", patient_id=patient.public_id)
