"""Clinic switcher; the dosing protocols for every staff member to read; for administrators: staff (invite,
send again, withdraw, role, deactivate, second-factor reset) and settings."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TypedDict

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_POST, require_safe

from ketacare.accounts import mail
from ketacare.accounts.gates import admin_object_view, clinic_admin_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.forms import ClinicSettingsForm, InviteStaffForm, RoleForm, settings_initial
from ketacare.clinics.models import Clinic, StaffInvitation, StaffMembership
from ketacare.clinics.protocols import CLINIC_PRACTICE_WORDS, protocol_views
from ketacare.clinics.selectors import (
    ACTIVE_CLINIC_SESSION_KEY,
    access_membership,
    access_staff_invitation,
    active_clinic,
    clinic_contact,
    clinic_staff,
    escalation_candidates,
    escalation_recipient,
    open_staff_invitations,
    staff_memberships,
    time_zone_change,
    withdrawal_scope,
)
from ketacare.clinics.services import (
    change_staff_role,
    check_clinic_settings,
    deactivate_staff,
    invite_staff,
    reactivate_staff,
    refusals,
    resend_staff_invitation,
    reset_staff_second_factor,
    revoke_staff_invitation,
    update_clinic_settings,
)
from ketacare.core.protocols import catalog
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error, field_message
from ketacare.lib.http import safe_redirect_target
from ketacare.ops.transport import not_set_up_note


@require_POST
@staff_required
def switch_clinic(request: AuthenticatedRequest) -> HttpResponse:
    """Make another of the user's clinics the active one; an unknown clinic changes nothing."""
    wanted = request.POST.get("clinic", "")
    membership = next((m for m in staff_memberships(request.user) if str(m.clinic.public_id) == wanted), None)
    if membership is None:
        messages.error(request, "Choose one of the clinics you work at.")
        return redirect("patients:list")
    request.session[ACTIVE_CLINIC_SESSION_KEY] = str(membership.clinic.public_id)
    messages.success(request, f"Now working at {membership.clinic.name}.")
    return redirect(safe_redirect_target(request, "patients:list"))


def _clinic(request: AuthenticatedRequest) -> Clinic:
    clinic = active_clinic(request)
    if clinic is None:  # the gates guarantee one; keep the type checker honest
        raise Http404("Not found")
    return clinic


def _admin_clinics(request: AuthenticatedRequest) -> list[Clinic]:
    return [m.clinic for m in staff_memberships(request.user) if m.role == StaffMembership.Role.CLINIC_ADMIN]


def _admin_clinic_ids(request: AuthenticatedRequest) -> set[int]:
    return {c.pk for c in _admin_clinics(request)}


def _names(clinics: list[Clinic]) -> str:
    return ", ".join(c.name for c in clinics)


@staff_required
@require_safe
def protocols(request: AuthenticatedRequest) -> HttpResponse:
    """The dosing protocols of the installation, what each holds and its sources; read-only.

    Every staff role reads them (the prescriber chooses one for a plan, the nurse gives the dose, the
    administrator answers "where are our protocols?"). They are the installation's reference data, the
    same at every clinic and about no patient or person, so reading them leaves no audit row (as the
    questionnaire and alert policy pages leave none).
    """
    context = {"protocols": protocol_views(), "practice_words": CLINIC_PRACTICE_WORDS}
    return render(request, "clinics/protocols.html", context)


@clinic_admin_required
def staff(request: AuthenticatedRequest) -> HttpResponse:
    """The clinic's staff with role, last login and status, and the invitations still open."""
    clinic = _clinic(request)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="staff_list")
    context = {
        "members": clinic_staff(clinic),
        "invitations": open_staff_invitations(clinic, _admin_clinic_ids(request)),
        "roles": StaffMembership.Role.choices,
        "now": timezone.now(),
    }
    return render(request, "clinics/staff.html", context)


@clinic_admin_required
def staff_invite(request: AuthenticatedRequest) -> HttpResponse:
    """Invite someone by e-mail with a role at one or more of the clinics this admin runs."""
    clinic = _clinic(request)
    form = InviteStaffForm(
        request.POST or None, clinics=_admin_clinics(request), initial={"clinics": [str(clinic.public_id)]}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invite_staff(
                by=request.user,
                clinics=form.chosen_clinics(),
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                base_url=mail.base_url(request),
            )
        except FieldError as error:
            add_field_error(form, error)
        else:
            until = f"The link works once, until {_clinic_time(clinic, invitation.expires_at)}."
            not_sent = not_set_up_note()
            if not_sent:
                messages.warning(
                    request, f"Invitation to {invitation.email} made, but not sent: {not_sent}. {until}"
                )
            else:
                messages.success(request, f"Invitation sent to {invitation.email}. {until}")
            return redirect("clinics:staff")
    return render(request, "clinics/staff_invite.html", {"form": form}, status=400 if form.errors else 200)


def _clinic_time(clinic: Clinic, moment: dt.datetime) -> str:
    # Clinic time, in the style of the staff page it leads back to ("Times are clinic time").
    return date_format(timezone.localtime(moment, zoneinfo.ZoneInfo(clinic.time_zone)), "D j M Y, H:i")


def _invitation(request: AuthenticatedRequest, invitation_id: str) -> StaffInvitation:
    return access_staff_invitation(request.user, _clinic(request), invitation_id, action="write")


@require_POST
@admin_object_view("staff_invitation", "invitation_id")
def staff_invitation_resend(request: AuthenticatedRequest, invitation_id: str) -> HttpResponse:
    """A new link with a full lifetime for a pending or expired invitation; the old link stops working."""
    clinic = _clinic(request)
    invitation = _invitation(request, invitation_id)
    try:
        fresh = resend_staff_invitation(
            invitation=invitation, clinic=clinic, by=request.user, base_url=mail.base_url(request)
        )
    except FieldError as error:
        messages.error(request, field_message(error.field, error.message))
    else:
        links = (
            "The earlier link no longer works; the new one works once, until "
            f"{_clinic_time(clinic, fresh.expires_at)}."
        )
        not_sent = not_set_up_note()
        if not_sent:
            messages.warning(
                request, f"New invitation to {fresh.email} made, but not sent: {not_sent}. {links}"
            )
        else:
            messages.success(request, f"Invitation sent again to {fresh.email}. {links}")
    return redirect("clinics:staff")


@require_POST
@admin_object_view("staff_invitation", "invitation_id")
def staff_invitation_withdraw(request: AuthenticatedRequest, invitation_id: str) -> HttpResponse:
    """Take an invitation back: its link stops working at once and says it was withdrawn, and its
    e-mails not yet sent are cancelled."""
    clinic = _clinic(request)
    invitation = _invitation(request, invitation_id)
    still_open = invitation.accepted_at is None and invitation.revoked_at is None
    if still_open and request.POST.get("confirm") != "yes":
        # One click would end someone's way in: the page asks first, as it does before deactivating.
        # (One that is closed already goes to the service, which says why nothing can change.)
        withdraws_from, _ = withdrawal_scope(invitation, clinic, _admin_clinic_ids(request))
        messages.error(
            request,
            f"The invitation to {invitation.email} ({invitation.get_role_display().lower()} at "
            f"{_names(withdraws_from)}) still stands: confirm with “Yes, withdraw” to withdraw it.",
        )
        return redirect("clinics:staff")
    try:
        withdrawal = revoke_staff_invitation(invitation=invitation, clinic=clinic, by=request.user)
    except FieldError as error:
        messages.error(request, field_message(error.field, error.message))
    else:
        if withdrawal.still_invited_to:
            messages.success(
                request,
                f"{invitation.email} is no longer invited to {clinic.name}. The invitation to "
                f"{_names(withdrawal.still_invited_to)} still stands: its administrators can withdraw it there.",
            )
        else:
            messages.success(
                request,
                f"The invitation to {invitation.email} is withdrawn: its link no longer works, and whoever "
                f"opens it is told to ask the clinic.{_cancelled(withdrawal.cancelled_emails)}",
            )
    return redirect("clinics:staff")


def _cancelled(emails: int) -> str:
    if emails == 0:
        return ""
    if emails == 1:
        return " Its e-mail, not yet sent, is cancelled."
    return f" Its {emails} e-mails not yet sent are cancelled."


def _membership(request: AuthenticatedRequest, membership_id: str) -> StaffMembership:
    return access_membership(request.user, _clinic(request), membership_id, action="write")


@require_POST
@admin_object_view("staff_membership", "membership_id")
def staff_role(request: AuthenticatedRequest, membership_id: str) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        roles = ", ".join(str(label) for label in StaffMembership.Role.labels)
        messages.error(request, f"Choose one of the roles: {roles}.")
        return redirect("clinics:staff")
    try:
        change_staff_role(membership=membership, role=form.cleaned_data["role"], by=request.user)
    except FieldError as error:
        messages.error(request, field_message(error.field, error.message))
    else:
        messages.success(
            request, f"{membership.user} is now {StaffMembership.Role(form.cleaned_data['role']).label}."
        )
    return redirect("clinics:staff")


@require_POST
@admin_object_view("staff_membership", "membership_id")
def staff_deactivate(request: AuthenticatedRequest, membership_id: str) -> HttpResponse:
    membership = _membership(request, membership_id)
    if request.POST.get("confirm") != "yes":
        # One click on a red button ends someone's sessions at once: the page asks first.
        messages.error(
            request, f"{membership.user} is still active: confirm with “Yes, deactivate” to deactivate them."
        )
        return redirect("clinics:staff")
    try:
        deactivate_staff(membership=membership, by=request.user)
    except FieldError as error:
        messages.error(request, field_message(error.field, error.message))
    else:
        messages.success(request, f"{membership.user} is deactivated here; their sessions have ended.")
    return redirect("clinics:staff")


@require_POST
@admin_object_view("staff_membership", "membership_id")
def staff_reactivate(request: AuthenticatedRequest, membership_id: str) -> HttpResponse:
    membership = _membership(request, membership_id)
    reactivate_staff(membership=membership, by=request.user)
    messages.success(request, f"{membership.user} is active again.")
    return redirect("clinics:staff")


@require_POST
@admin_object_view("staff_membership", "membership_id")
def staff_reset_second_factor(request: AuthenticatedRequest, membership_id: str) -> HttpResponse:
    membership = _membership(request, membership_id)
    try:
        reset_staff_second_factor(membership=membership, by=request.user)
    except FieldError as error:
        messages.error(request, field_message(error.field, error.message))
    else:
        messages.success(
            request,
            f"{membership.user}'s second factor is reset: they set up a new authenticator at their next login.",
        )
    return redirect("clinics:staff")


class _SettingsInput(TypedDict):
    time_zone: str
    phone: str
    emergency_number: str
    crisis_line: str
    after_hours_phone: str
    after_hours_instructions: str
    fasting_instructions: str
    home_bp_hold_mmhg: tuple[int | None, int | None]
    confirm_time_zone: str


def _settings_values(form: ClinicSettingsForm) -> _SettingsInput:
    """What the service checks, as the form read it (a field the form refused reads as empty)."""
    data = form.cleaned_data

    def text(name: str) -> str:
        return str(data.get(name) or "")

    return _SettingsInput(
        time_zone=text("time_zone"),
        phone=text("phone"),
        emergency_number=text("emergency_number"),
        crisis_line=text("crisis_line"),
        after_hours_phone=text("after_hours_phone"),
        after_hours_instructions=text("after_hours_instructions"),
        fasting_instructions=text("fasting_instructions"),
        home_bp_hold_mmhg=(data.get("home_bp_hold_systolic_mmhg"), data.get("home_bp_hold_diastolic_mmhg")),
        confirm_time_zone=text("confirm_time_zone"),
    )


@clinic_admin_required
def clinic_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Time zone, numbers and hours shown to patients, fasting instructions; who escalations reach.

    A refused save names every mistake at once, each under its field and in a summary at the top
    linking to it; nothing is saved until all are fixed.
    """
    clinic = _clinic(request)
    candidates = escalation_candidates(clinic)
    contacts = [
        (str(m.user.public_id), f"{m.user.full_name} ({m.get_role_display().lower()})") for m in candidates
    ]
    form = ClinicSettingsForm(request.POST or None, initial=settings_initial(clinic), contacts=contacts)
    valid = request.method == "POST" and form.is_valid()
    # Read before a refusal on the field takes it out of cleaned_data.
    chosen_zone = str(form.cleaned_data.get("time_zone") or "") if form.is_bound else ""
    if valid:
        data = form.cleaned_data
        try:
            update_clinic_settings(
                clinic=clinic,
                by=request.user,
                names_in_titles=data["names_in_titles"],
                escalation_contact=next(
                    (m.user for m in candidates if str(m.user.public_id) == data["escalation_contact"]), None
                ),
                opening_hours=form.intervals(),
                **_settings_values(form),
            )
        except FieldError as error:
            for one in refusals(error):
                add_field_error(form, one)
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("clinics:settings")
    elif request.method == "POST":
        # The form refused some fields: the service checks the others too, so that every mistake shows
        # at once (a field the form refused keeps the form's message alone).
        try:
            check_clinic_settings(clinic=clinic, **_settings_values(form))
        except FieldError as error:
            for one in refusals(error):
                if one.field not in form.errors:
                    add_field_error(form, one)
    else:
        record_access_event(action="read", outcome="granted", clinic=clinic, object_type="clinic_settings")
    # The confirmation box for the zone chosen now, kept while other mistakes are corrected; it confirms
    # only this zone (a box ticked for another zone confirms nothing).
    zone_change = (
        time_zone_change(clinic, chosen_zone, now=timezone.now()) if chosen_zone and form.errors else None
    )
    summary = form.error_summary() if form.errors else []
    context = {
        "form": form,
        "error_summary": summary,
        "error_summary_title": f"Nothing was saved: {len(summary)} thing{pluralize(len(summary))} to fix",
        "zone_change": zone_change,
        "clinic": clinic,
        "contact_now": clinic_contact(clinic, timezone.now()),
        "escalation_to": escalation_recipient(clinic),
        "protocol_count": len(catalog().protocols),
    }
    return render(request, "clinics/settings.html", context, status=400 if form.errors else 200)
