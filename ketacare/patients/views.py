"""Staff: the patient list, registering a patient, one patient's page, corrections, archiving and the
companion invitation. Patients: accepting the invitation, and their clinic's contact details."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ketacare.accounts import mail
from ketacare.accounts.forms import NewPasswordForm
from ketacare.accounts.gates import own_patient_page, staff_object_view, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.accounts.tokens import LinkState
from ketacare.accounts.views import MODEL_BACKEND, link_refused, signed_in_refused
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.core.protocols import get_route, route_ids
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.lib.forms import add_field_error, form_message
from ketacare.ops.transport import not_set_up_note
from ketacare.patients.facts import next_appointment, patient_route
from ketacare.patients.forms import ArchivePatientForm, PatientForm, RegisterPatientForm, patient_initial
from ketacare.patients.selectors import (
    SORTABLE_FIELDS,
    access_patient,
    email_refusal,
    find_duplicates,
    find_patient_invitation,
    latest_invitation,
    list_clinic_patients,
    patient_changes,
    patient_now,
    sex_on_record,
)
from ketacare.patients.services import (
    accept_patient_invitation,
    archive_patient,
    correct_patient,
    invite_patient,
    register_patient,
    restore_patient,
)
from ketacare.patients.templatetags.ketacare_display import zone_place

LIST_COLUMNS = (
    "public_id",
    "full_name",
    "date_of_birth",
    "medical_record_number",
    "stage",
    "primary_clinician__full_name",
    "primary_clinician__email",
)


@staff_required
def patient_list(request: AuthenticatedRequest) -> HttpResponse:
    """The active clinic's patients: search by name or record number, sortable, paginated."""
    clinic = active_clinic(request)
    if clinic is None:  # staff_required guarantees one; keep the type checker honest
        raise Http404("Not found")
    query = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "name")
    if sort not in SORTABLE_FIELDS:
        sort = "name"
    archived = request.GET.get("archived") == "1"
    # Only what a row shows (patients/templatetags/patient_rows.py).
    patients = list_clinic_patients(
        user=request.user, clinic=clinic, query=query, sort=sort, archived=archived
    ).only(*LIST_COLUMNS)
    page = Paginator(patients, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="patient_list")
    # A clinic that has never had a patient, archived ones included: the page says what comes first.
    first_run = not (query or archived or page.object_list) and not (
        list_clinic_patients(user=request.user, clinic=clinic, query="", sort=sort, archived=True).exists()
    )
    template = "patients/_patient_table.html" if request.htmx else "patients/patient_list.html"
    context = {"page": page, "query": query, "sort": sort, "archived": archived, "first_run": first_run}
    return render(request, template, context)


def _add_error(form: Any, error: FieldError) -> None:
    add_field_error(form, error)


@staff_required
def patient_new(request: AuthenticatedRequest) -> HttpResponse:
    """Register a patient; a same-name, same-birthday patient at the clinic must be confirmed first."""
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    form = RegisterPatientForm(
        request.POST or None, initial={"time_zone": clinic.time_zone, "sex": "unknown"}
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = register_patient(
                clinic=clinic,
                by=request.user,
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                email=data["email"],
                phone=data["phone"],
                time_zone=data["time_zone"],
                preferred_name=data["preferred_name"],
                emergency_contact_name=data["emergency_contact_name"],
                emergency_contact_phone=data["emergency_contact_phone"],
                medical_record_number=data["medical_record_number"],
                confirm_duplicate=data["confirm_duplicate"],
            )
        except ConflictError as error:
            duplicates = find_duplicates(
                clinic=clinic, full_name=data["full_name"], date_of_birth=data["date_of_birth"]
            )
            _add_error(form, error)
        except FieldError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"{patient.full_name} is registered. Intake comes next.")
            return redirect("intake:page", patient_id=patient.public_id)
    context = {"form": form, "duplicates": duplicates}
    return render(request, "patients/patient_new.html", context, status=400 if form.errors else 200)


@staff_object_view("patient", "patient_id")
def patient_detail(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The staff view of one patient: what is happening now (in the chair, a paused dose, open alerts,
    the next appointment), demographics, and links to intake, plan, sessions, timeline and records."""
    patient = access_patient(request.user, patient_id)
    invite_refusal = (
        email_refusal(email=patient.email, clinic=patient.clinic, patient=patient)
        if patient.email and not patient.user_id and not patient.archived_at
        else ""
    )
    context = {
        "patient": patient,
        "now": patient_now(patient, now=timezone.now()),
        "invitation": latest_invitation(patient),
        "invitation_not_sent": not_set_up_note(),
        "invite_refusal": form_message("email", invite_refusal, "E-mail") if invite_refusal else "",
        "changes": patient_changes(patient)[:20],
        "sex": sex_on_record(patient),
    }
    return render(request, "patients/patient_detail.html", context)


@staff_object_view("patient", "patient_id")
def patient_edit(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Correct a patient's details; every changed field keeps its old value (PatientChange)."""
    patient = access_patient(request.user, patient_id, action="write" if request.method == "POST" else "read")
    form = PatientForm(request.POST or None, initial=patient_initial(patient))
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            correction = correct_patient(patient=patient, by=request.user, changes=changed)
        except FieldError as error:
            _add_error(form, error)
        else:
            count = len(correction.changes)
            messages.success(
                request,
                f"{count} detail{'s' if count != 1 else ''} corrected." if count else "Nothing changed.",
            )
            return redirect("patients:detail", patient_id=patient.public_id)
    return render(
        request,
        "patients/patient_edit.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@staff_object_view("patient", "patient_id")
def patient_archive(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Archive a patient after confirming: the page shows what is still going on and asks why.

    A POST without a reason is refused on the field; a patient in the chair now is refused outright.
    """
    writing = request.method == "POST"
    patient = access_patient(request.user, patient_id, action="write" if writing else "read")
    form = ArchivePatientForm(request.POST if writing else None)
    if writing and form.is_valid():
        try:
            archive_patient(patient=patient, by=request.user, reason=form.cleaned_data["reason"])
        except FieldError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"{patient.full_name} is archived: off the lists, every record kept.")
            return redirect("patients:detail", patient_id=patient.public_id)
    context = {"patient": patient, "form": form, "now": patient_now(patient, now=timezone.now())}
    return render(request, "patients/patient_archive.html", context, status=400 if form.errors else 200)


@require_POST
@staff_object_view("patient", "patient_id", action="write")
def patient_restore(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="write")
    restore_patient(patient=patient, by=request.user)
    messages.success(request, f"{patient.full_name} is back on the patient list.")
    return redirect("patients:detail", patient_id=patient.public_id)


# What the invitation's refusals name, as the patient's page labels it.
INVITE_LABELS = {"email": "E-mail"}


@require_POST
@staff_object_view("patient", "patient_id", action="write")
def patient_invite(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Send (or send again) the invitation to the patient app."""
    patient = access_patient(request.user, patient_id, action="write")
    try:
        invitation = invite_patient(patient=patient, by=request.user, base_url=mail.base_url(request))
    except FieldError as error:
        messages.error(request, form_message(error.field, error.message, INVITE_LABELS.get(error.field, "")))
    else:
        # Clinic time, as everywhere on the staff pages.
        until = timezone.localtime(invitation.expires_at, patient.clinic.zone)
        works = f"works once, until {until:%Y-%m-%d %H:%M} ({zone_place(patient.clinic.time_zone)} time)"
        not_sent = not_set_up_note()
        if not_sent:
            messages.warning(
                request,
                f"Invitation to {invitation.email} made, but not sent: {not_sent}. The link in it {works}.",
            )
        else:
            messages.success(request, f"Invitation sent to {invitation.email}; it {works}.")
    return redirect("patients:detail", patient_id=patient.public_id)


@sensitive_post_parameters("password", "confirm")
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The patient chooses a password from the invitation link, then lands on their clinic's details."""
    invitation, state = find_patient_invitation(token)
    object_id = str(invitation.public_id) if invitation else ""
    patient = invitation.patient if invitation else None

    def audit(granted: bool) -> None:
        record_access_event(
            action="read" if request.method == "GET" else "write",
            outcome="granted" if granted else "denied",
            patient=patient,
            object_type="patient_invitation",
            object_id=object_id,
        )

    if request.user.is_authenticated:
        audit(False)
        own = patient is not None and patient.user_id is not None and patient.user_id == request.user.pk
        return signed_in_refused(request, kind="invitation", own=own, state=state)
    if invitation is None or state != LinkState.VALID:
        audit(False)
        return link_refused(
            request, state=state, kind="invitation", detail=invitation.status_label if invitation else ""
        )
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_patient_invitation(
                invitation=invitation,
                password=form.cleaned_data["password"],
                confirm=form.cleaned_data["confirm"],
            )
        except FieldError as error:
            _add_error(form, error)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            return render(request, "patients/invitation_accepted.html", {"clinic": invitation.patient.clinic})
    elif request.method == "GET":
        audit(True)
    context = {"form": form, "invitation": invitation, "clinic": invitation.patient.clinic}
    return render(request, "patients/accept_invitation.html", context, status=400 if form.errors else 200)


@own_patient_page("clinic", "")
def my_clinic(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's clinic: when it is open, whom to call now, what to do outside hours, fasting.

    The preparation link is named as on the home page: a checklist only for a booked session
    (docs/decisions/0026)."""
    patient = access_patient(request.user, request.user.patient.public_id)
    clinic = patient.clinic
    now = timezone.now()
    appointment = next_appointment(patient, now=now)
    # The route the preparation checklist is built for: without the clinic's own instruction and without
    # a published rule for it, both pages say one thing (ask the clinic) rather than point at each other.
    route = appointment.route if appointment and appointment.route else patient_route(patient, now=now)
    fasting = get_route(route).fasting if route in route_ids() else None
    return render(
        request,
        "patients/my_clinic.html",
        {
            "patient": patient,
            "clinic": clinic,
            "session_booked": appointment is not None,
            "route_known": fasting is not None,
            "fasting_rule_published": bool(
                fasting and (fasting.food_minutes_before or fasting.liquids_minutes_before)
            ),
        },
    )
