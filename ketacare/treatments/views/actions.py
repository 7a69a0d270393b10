"""The run-sheet's POSTs: each calls one service.

With htmx the response is the refreshed run-sheet (a form error stays in its form, status 200 so htmx
swaps it); without htmx a success redirects and an error re-renders the page with status 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import transaction_with_held_rows
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.treatments import forms, selectors, services
from ketacare.treatments.errors import DischargeRefused, InputsRefused
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.services.check_in import update_check_in_confirmations
from ketacare.treatments.views._common import apply_error, session_zone, write_audited_when_written
from ketacare.treatments.views.sheet import discharge_form, dose_form, end_form, sheet_context


@write_audited_when_written
def _action(
    request: AuthenticatedRequest,
    session_id: str,
    form_class: type[django_forms.Form],
    context_key: str,
    call: Callable[[TreatmentSession, dict[str, Any]], Any],
    success: str,
    make_form: Callable[[TreatmentSession], django_forms.Form] | None = None,
) -> HttpResponse:
    """Validate the form, call one service and answer as above; every refusal lands in its form.

    A refused discharge also shows every unmet criterion; a refusal of several inputs at once puts each
    on its field; a role refusal without htmx goes back to the run-sheet with the message. `make_form`
    builds the bound form when it depends on the session or the user (the discharge form). The access's
    "write · granted" audit row commits with the service's write; anything short of it is a read.
    """
    session = selectors.access_session(request.user, session_id, action="write")
    form: django_forms.Form
    if make_form is not None:
        form = make_form(session)
    elif issubclass(form_class, forms.ZonedForm):
        form = form_class(request.POST, zone=session_zone(session))
    else:
        form = form_class(request.POST)
    extra: dict[str, Any] = {}
    if form.is_valid():
        try:
            with transaction_with_held_rows():
                call(session, form.cleaned_data)
        except DischargeRefused as error:
            extra["refused"] = error
            # The reasons are listed once, under "Discharge refused"; the form says only where to look.
            form.add_error(None, "Not discharged: the reasons are listed under Discharge refused above.")
        except NotPermitted as error:
            if not request.htmx:
                messages.error(request, error.message)
                return redirect("treatments:run_sheet", session_id=session.public_id)
            apply_error(form, error)
        except InputsRefused as error:
            for each in error.errors:
                apply_error(form, each)
        except FieldError as error:
            apply_error(form, error)
        else:
            session.refresh_from_db()
            if request.htmx:
                return render(request, "treatments/run_sheet.html#sheet", sheet_context(request, session))
            messages.success(request, success)
            return redirect("treatments:run_sheet", session_id=session.public_id)
    session.refresh_from_db()
    context = sheet_context(request, session, **{context_key: form}, **extra)
    if request.htmx:
        return render(request, "treatments/run_sheet.html#sheet", context)
    return render(request, "treatments/run_sheet.html", context, status=422)


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def check_in(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
            pregnancy_reported=d["pregnancy_reported"],
            medication_changes=d["medication_changes"],
            checked_in_at=d["checked_in_at"],
        ),
        "Checked in.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def check_in_confirmations(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """After check-in, before the dose: the ride home arranged or fasting confirmed at the chair."""
    return _action(
        request,
        session_id,
        forms.CheckInConfirmationsForm,
        "confirmations_form",
        lambda s, d: update_check_in_confirmations(
            session=s,
            user=request.user,
            fasting_confirmed=d["fasting_confirmed"],
            ride_home_confirmed=d["ride_home_confirmed"],
        ),
        "Check-in updated.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def vitals(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
def hold_override(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
def dose(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
            # A dose given at one time (a nasal device, an oral dose, an injection) has no stop-time field.
            ended_at=d.get("ended_at"),
            out_of_bounds_reason=d["out_of_bounds_reason"],
            gate_override_read=bool(d.get("gate_override_read")),
        ),
        "Dose recorded.",
        make_form=lambda s: dose_form(request, s, request.POST),
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def end_dosing(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.EndDosingForm,
        "end_form",
        lambda s, d: services.end_dosing(
            session=s, user=request.user, ended_at=d["ended_at"], reason=d["reason"]
        ),
        "Dosing ended.",
        make_form=lambda s: end_form(s, request.POST),
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def observation(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
def adverse_event(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
def entered_in_error(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.EnteredInErrorForm,
        "error_form",
        lambda s, d: services.mark_entered_in_error(
            session=s, user=request.user, kind=d["kind"], entry_id=str(d["entry_id"]), reason=d["reason"]
        ),
        "Marked as entered in error.",
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def discharge(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
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
        make_form=lambda s: discharge_form(request, s, request.POST),
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
def cancel(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    return _action(
        request,
        session_id,
        forms.CancelForm,
        "cancel_form",
        lambda s, d: services.cancel_session(session=s, user=request.user, reason=d["cancel_reason"]),
        "Session cancelled.",
    )
