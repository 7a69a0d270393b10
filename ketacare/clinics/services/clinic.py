"""Writes for a clinic itself: first-run setup and the settings patients are told about."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.services import password_errors
from ketacare.audit.services import record_access_event
from ketacare.clinics.hours import Interval
from ketacare.clinics.models import Clinic, OpeningHours, Organisation, StaffMembership
from ketacare.clinics.selectors import TimeZoneChange, time_zone_change
from ketacare.clinics.services._fields import (
    Role,
    clean_email,
    clean_emergency,
    clean_phone,
    clean_text,
    clean_zone,
)
from ketacare.core.home_bp import HOLD_DIASTOLIC_RANGE_MMHG, HOLD_SYSTOLIC_RANGE_MMHG
from ketacare.lib.errors import ConflictError, FieldError


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
        name=clean_text("organisation", organisation_name, max_length=200, required=True)
    )
    clinic = Clinic.objects.create(
        organisation=organisation,
        name=clean_text("clinic", clinic_name, max_length=200, required=True),
        time_zone=clean_zone(time_zone),
        phone=clean_phone("phone", phone, required=True),
        emergency_number=clean_emergency(emergency_number),
        crisis_line=clean_phone("crisis_line", crisis_line, required=True),
        after_hours_phone=clean_phone("after_hours_phone", after_hours_phone),
    )
    _replace_hours(clinic, opening_hours)
    email = clean_email("admin_email", admin_email)
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError("admin_email", f"admin_email: an account already uses {email}")
    admin = User.objects.create_user(
        email, None, full_name=clean_text("admin_name", admin_name, max_length=200, required=True)
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
    confirm_time_zone: str = "",
) -> Clinic:
    """Save what patients are told: time zone, numbers, opening hours, after-hours advice, fasting.

    A new time zone that would change the clock time of booked visits (they are stored as instants)
    is saved only when ``confirm_time_zone`` names it; otherwise nothing is saved.
    """
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    zone = clean_zone(time_zone)
    change = time_zone_change(clinic, zone, now=timezone.now())
    clinic.time_zone = zone
    clinic.phone = clean_phone("phone", phone, required=True)
    clinic.emergency_number = clean_emergency(emergency_number)
    clinic.crisis_line = clean_phone("crisis_line", crisis_line, required=True)
    clinic.after_hours_phone = clean_phone("after_hours_phone", after_hours_phone)
    clinic.after_hours_instructions = clean_text(
        "after_hours_instructions", after_hours_instructions, max_length=500
    )
    clinic.fasting_instructions = clean_text("fasting_instructions", fasting_instructions, max_length=2000)
    if names_in_titles is not None:
        clinic.names_in_titles = names_in_titles
    if home_bp_hold_mmhg is not None:
        clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg = _home_bp_limits(
            *home_bp_hold_mmhg
        )
    # The form offers only this clinic's active admins and prescribers (None: the default rule).
    clinic.escalation_contact = escalation_contact
    # Asked last, so that a mistake in another field is shown before the confirmation is asked for.
    if change is not None and confirm_time_zone != zone:
        raise FieldError("time_zone", f"time_zone: {describe_time_zone_change(change)}; nothing was saved")
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


def describe_time_zone_change(change: TimeZoneChange) -> str:
    """The change in words, with its example: "moving to Europe/Berlin changes the clock time of 2 booked
    sessions, which keep their moment: Tuesday 10 Nov 09:00 becomes Tuesday 10 Nov 15:00"."""
    count = (
        "1 booked session, which keeps its moment"
        if change.moved == 1
        else f"{change.moved} booked sessions, which keep their moment"
    )
    return f"moving to {change.new_zone} changes the clock time of {count}: {change.example}"


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
