"""Writes for clinics: first-run setup, clinic settings, staff invitations, roles and deactivation.

Each service is keyword-only and one transaction; e-mail leaves after commit; refused input raises
``FieldError`` naming the field before anything is written (or inside the transaction that rolls back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts import mail
from ketacare.accounts.models import User
from ketacare.accounts.services import clear_second_factor, end_sessions, password_errors
from ketacare.accounts.tokens import new_token
from ketacare.audit.services import record_access_event
from ketacare.clinics.hours import Interval
from ketacare.clinics.models import (
    Clinic,
    OpeningHours,
    Organisation,
    StaffInvitation,
    StaffMembership,
    validate_time_zone,
)
from ketacare.clinics.selectors import active_admin_count
from ketacare.core.home_bp import HOLD_DIASTOLIC_RANGE_MMHG, HOLD_SYSTOLIC_RANGE_MMHG
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted

Role = StaffMembership.Role
ROLE_VALUES = ", ".join(Role.values)


def _text(field: str, value: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise FieldError(field, f"{field} contains a NUL character, which is not allowed")
    if required and not value:
        raise FieldError(field, f"{field} is required (1 to {max_length} characters)")
    if len(value) > max_length:
        raise FieldError(field, f"{field} must be at most {max_length} characters (got {len(value)})")
    return value


MAX_PHONE_DIGITS = 15  # ITU-T E.164: at most 15 digits, country code included


def _phone(field: str, value: str, *, required: bool = False) -> str:
    value = _text(field, value, max_length=40, required=required)
    if value and not all(c.isdigit() or c in " +-()./" for c in value):
        raise FieldError(field, f"{field} may hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)")
    digits = sum(c.isdigit() for c in value)
    if value and digits < 2:
        raise FieldError(field, f"{field} needs at least 2 digits (e.g. 911 or +1 555 0100)")
    if digits > MAX_PHONE_DIGITS:
        # No telephone number has more (ITU-T E.164): a longer one is a typing error that patients
        # would otherwise be told to call in an emergency.
        raise FieldError(
            field,
            f"{field} has {digits} digits: a telephone number has 2 to {MAX_PHONE_DIGITS} (e.g. 911 or +1 555 0100)",
        )
    return value


def _emergency(value: str) -> str:
    value = _phone("emergency_number", value, required=True)
    if len(value) > 20:
        raise FieldError(
            "emergency_number", f"emergency_number must be at most 20 characters (got {len(value)})"
        )
    return value


def _email(field: str, value: str) -> str:
    value = _text(field, value, max_length=254, required=True).lower()
    try:
        validate_email(value)
    except ValidationError:
        raise FieldError(field, f"{field}: {value!r} is not an e-mail address (name@example.org)") from None
    return value


def _zone(value: str) -> str:
    try:
        validate_time_zone(value)
    except ValidationError:
        raise FieldError(
            "time_zone", f"time_zone {value!r} is not an IANA time-zone name (e.g. America/New_York)"
        ) from None
    return value


def _role(value: str) -> str:
    if value not in Role.values:
        raise FieldError("role", f"role {value!r} is not one of {ROLE_VALUES}")
    return value


def _replace_hours(clinic: Clinic, hours: list[Interval]) -> None:
    clinic.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=i.weekday, opens_at=i.opens, closes_at=i.closes) for i in hours
    )


@dataclass(frozen=True, slots=True)
class SetupResult:
    organisation: Organisation
    clinic: Clinic
    admin: User


@transaction.atomic
def set_up_installation(
    *,
    organisation_name: str,
    clinic_name: str,
    time_zone: str,
    phone: str,
    opening_hours: list[Interval],
    admin_email: str,
    admin_name: str,
    admin_password: str,
    emergency_number: str = "911",
    crisis_line: str = "988",
    after_hours_phone: str = "",
) -> SetupResult:
    """Create the organisation, its first clinic and that clinic's first administrator (first run only).

    Refused with a ConflictError when any clinic exists, so running setup twice changes nothing.
    """
    if Clinic.objects.select_for_update().exists():
        raise ConflictError("", "this installation is already set up: it has a clinic")
    organisation = Organisation.objects.create(
        name=_text("organisation", organisation_name, max_length=200, required=True)
    )
    clinic = Clinic.objects.create(
        organisation=organisation,
        name=_text("clinic", clinic_name, max_length=200, required=True),
        time_zone=_zone(time_zone),
        phone=_phone("phone", phone, required=True),
        emergency_number=_emergency(emergency_number),
        crisis_line=_phone("crisis_line", crisis_line, required=True),
        after_hours_phone=_phone("after_hours_phone", after_hours_phone),
    )
    _replace_hours(clinic, opening_hours)
    email = _email("admin_email", admin_email)
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError("admin_email", f"admin_email: an account already uses {email}")
    admin = User.objects.create_user(
        email, None, full_name=_text("admin_name", admin_name, max_length=200, required=True)
    )
    StaffMembership.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    # Checked after the membership exists, so the staff rule (12 characters) applies.
    problems = password_errors(admin_password, admin)
    if problems:
        raise FieldError("admin_password", f"admin_password: {problems}")
    admin.set_password(admin_password)
    admin.save(update_fields=["password"])
    record_access_event(
        user=admin,
        action="write",
        outcome="success",
        clinic=clinic,
        object_type="setup",
        object_id=str(clinic.public_id),
    )
    return SetupResult(organisation, clinic, admin)


@transaction.atomic
def update_clinic_settings(
    *,
    clinic: Clinic,
    by: User,
    time_zone: str,
    phone: str,
    emergency_number: str,
    crisis_line: str,
    after_hours_phone: str,
    after_hours_instructions: str,
    fasting_instructions: str,
    opening_hours: list[Interval],
    names_in_titles: bool | None = None,
    escalation_contact: User | None = None,
    home_bp_hold_mmhg: tuple[int | None, int | None] | None = None,
) -> Clinic:
    """Save what patients are told: time zone, numbers, opening hours, after-hours advice, fasting."""
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    clinic.time_zone = _zone(time_zone)
    clinic.phone = _phone("phone", phone, required=True)
    clinic.emergency_number = _emergency(emergency_number)
    clinic.crisis_line = _phone("crisis_line", crisis_line, required=True)
    clinic.after_hours_phone = _phone("after_hours_phone", after_hours_phone)
    clinic.after_hours_instructions = _text(
        "after_hours_instructions", after_hours_instructions, max_length=500
    )
    clinic.fasting_instructions = _text("fasting_instructions", fasting_instructions, max_length=2000)
    if names_in_titles is not None:
        clinic.names_in_titles = names_in_titles
    if home_bp_hold_mmhg is not None:
        clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg = _home_bp_limits(
            *home_bp_hold_mmhg
        )
    # The form offers only this clinic's active admins and prescribers (None: the default rule).
    clinic.escalation_contact = escalation_contact
    clinic.save()
    _replace_hours(clinic, opening_hours)
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        clinic=clinic,
        object_type="clinic_settings",
        object_id=str(clinic.public_id),
    )
    return clinic


def _home_bp_limits(systolic: int | None, diastolic: int | None) -> tuple[int | None, int | None]:
    """Both limits or neither, each within the range the core accepts (core.home_bp.BpHoldLimits)."""
    if systolic is None and diastolic is None:
        return None, None
    if systolic is None or diastolic is None:
        missing = "home_bp_hold_systolic_mmhg" if systolic is None else "home_bp_hold_diastolic_mmhg"
        raise FieldError(missing, "set both home blood pressure limits, or neither")
    for field, value, (low, high) in (
        ("home_bp_hold_systolic_mmhg", systolic, HOLD_SYSTOLIC_RANGE_MMHG),
        ("home_bp_hold_diastolic_mmhg", diastolic, HOLD_DIASTOLIC_RANGE_MMHG),
    ):
        if not low <= value <= high:
            raise FieldError(field, f"{value} mmHg is outside the allowed range {low}–{high} mmHg")
    return systolic, diastolic


def _admin_clinics(user: User) -> set[int]:
    return set(
        StaffMembership.objects.filter(user=user, role=Role.CLINIC_ADMIN, is_active=True).values_list(
            "clinic_id", flat=True
        )
    )


@transaction.atomic
def invite_staff(
    *, by: User, clinics: list[Clinic], email: str, role: str, base_url: str, full_name: str = ""
) -> StaffInvitation:
    """Invite someone by e-mail to work at ``clinics`` in ``role``; the link expires and works once.

    Only an active administrator of every chosen clinic may invite. A newer invitation to the same
    address replaces the pending one (its link stops working).
    """
    email = _email("email", email)
    role = _role(role)
    full_name = _text("full_name", full_name, max_length=200)
    if not clinics:
        raise FieldError("clinics", "clinics: choose at least one clinic you administer")
    allowed = _admin_clinics(by)
    if any(c.pk not in allowed for c in clinics):
        raise NotPermitted(
            "clinics", "clinics: you can invite only to clinics where you are an administrator"
        )
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and hasattr(existing, "patient"):
        raise FieldError(
            "email", "email: this address belongs to a patient's account; staff need their own address"
        )
    if existing is not None:
        already = set(
            StaffMembership.objects.filter(user=existing, clinic__in=clinics).values_list(
                "clinic__name", flat=True
            )
        )
        if already:
            raise ConflictError(
                "email",
                f"email: {email} is already staff at {', '.join(sorted(already))}; change the role or reactivate "
                "them on the staff page instead",
            )
    now = timezone.now()
    StaffInvitation.objects.filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token, token_digest = new_token()
    invitation = StaffInvitation.objects.create(
        email=email,
        full_name=full_name,
        role=role,
        invited_by=by,
        token_digest=token_digest,
        expires_at=now + dt.timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    invitation.clinics.set(clinics)
    for clinic in clinics:
        record_access_event(
            user=by,
            action="write",
            outcome="granted",
            clinic=clinic,
            object_type="staff_invitation",
            object_id=str(invitation.public_id),
        )
    link = base_url + reverse("accounts:staff_invitation", kwargs={"token": token})
    mail.send_with_change(
        mail.staff_invitation(
            to=email,
            link=link,
            clinic_names=[c.name for c in clinics],
            role=Role(role).label.lower(),
            hours=settings.INVITATION_TTL_HOURS,
        )
    )
    return invitation


@transaction.atomic
def accept_staff_invitation(
    *, invitation: StaffInvitation, full_name: str, password: str, confirm: str
) -> User:
    """Use an invitation once: a new account with the given password, or memberships for an existing one.

    An address that already has an account proves it with that account's password (the invitation
    never changes an existing password). Expired, used or replaced invitations are refused.
    """
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != StaffInvitation.Status.PENDING:
        raise ConflictError("token", f"token: this invitation is {invitation.status_label.lower()}")
    clinics = list(invitation.clinics.all())
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None:
        if hasattr(user, "patient") or not user.is_active:
            raise ConflictError(
                "email", "email: this address cannot be used for a staff account; ask your clinic"
            )
        if not user.check_password(password):
            raise FieldError("password", "password: type the password of your existing KetaCare account")
    else:
        if password != confirm:
            raise FieldError("confirm", "confirm: the two passwords differ; type the same password twice")
        user = User.objects.create_user(
            invitation.email,
            None,
            full_name=_text("full_name", full_name or invitation.full_name, max_length=200, required=True),
        )
    for clinic in clinics:
        StaffMembership.objects.update_or_create(
            user=user, clinic=clinic, defaults={"role": invitation.role, "is_active": True}
        )
    if not user.has_usable_password():
        # Validated with the memberships in place, so the staff rule (12 characters) applies.
        problems = password_errors(password, user)
        if problems:
            raise FieldError("password", f"password: {problems}")
        user.set_password(password)
        user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    for clinic in clinics:
        record_access_event(
            user=user,
            action="write",
            outcome="success",
            clinic=clinic,
            object_type="staff_invitation_accepted",
            object_id=str(invitation.public_id),
        )
    return user


def _refuse_last_admin(membership: StaffMembership, what: str) -> None:
    if (
        membership.role == Role.CLINIC_ADMIN
        and membership.is_active
        and membership.user.is_active
        and active_admin_count(membership.clinic) <= 1
    ):
        raise ConflictError(
            "role",
            f"role: {membership.user} is the last active administrator of {membership.clinic}; make someone else "
            f"an administrator before you {what} them",
        )


def _audit_membership(by: User, membership: StaffMembership) -> None:
    # The key access_membership(action="write") uses, so check and write leave one row per request
    # (docs/security.md S6); the URL in the row names the change.
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        clinic=membership.clinic,
        object_type="staff_membership",
        object_id=str(membership.public_id),
    )


def _lock(membership: StaffMembership) -> StaffMembership:
    # Locking the clinic row serialises staff changes per clinic, so two administrators demoting each
    # other at once cannot both pass the last-admin check (SQLite's IMMEDIATE transactions already do).
    Clinic.objects.select_for_update().get(pk=membership.clinic_id)
    return StaffMembership.objects.select_related("user", "clinic").get(pk=membership.pk)


@transaction.atomic
def change_staff_role(*, membership: StaffMembership, role: str, by: User) -> StaffMembership:
    """Give a staff member another role at this clinic (never below one active administrator)."""
    role = _role(role)
    membership = _lock(membership)
    _audit_membership(by, membership)
    if role == membership.role:
        return membership
    if role != Role.CLINIC_ADMIN:
        _refuse_last_admin(membership, "demote")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def deactivate_staff(*, membership: StaffMembership, by: User) -> StaffMembership:
    """End a staff member's access to this clinic at once: their sessions end; with no other active
    membership left, the account itself is deactivated (docs/security.md S8)."""
    membership = _lock(membership)
    _audit_membership(by, membership)
    if not membership.is_active:
        return membership
    _refuse_last_admin(membership, "deactivate")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    if not user.memberships.filter(is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    end_sessions(user=user)
    return membership


@transaction.atomic
def reactivate_staff(*, membership: StaffMembership, by: User) -> StaffMembership:
    """Give a deactivated staff member their access to this clinic back (same role, same account)."""
    membership = _lock(membership)
    _audit_membership(by, membership)
    if membership.is_active and membership.user.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    if not membership.user.is_active:
        membership.user.is_active = True
        membership.user.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def reset_staff_second_factor(*, membership: StaffMembership, by: User) -> StaffMembership:
    """An administrator clears a staff member's authenticator and recovery codes (a lost phone).

    Their sessions end and their next login enrols a new authenticator. Not for oneself: the own
    security page replaces one's authenticator after a verified login.
    """
    membership = _lock(membership)
    if membership.user_id == by.pk:
        raise FieldError("staff", "staff: use your own security page to replace your authenticator")
    _audit_membership(by, membership)
    clear_second_factor(user=membership.user)
    return membership
