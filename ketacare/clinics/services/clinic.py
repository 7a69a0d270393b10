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
    Checks,
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


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    """The settings as they would be stored, each checked."""

    time_zone: str
    phone: str
    emergency_number: str
    crisis_line: str
    after_hours_phone: str
    after_hours_instructions: str
    fasting_instructions: str
    home_bp_hold_mmhg: tuple[int | None, int | None] | None


def check_clinic_settings(
    *,
    clinic: Clinic,
    time_zone: str,
    phone: str,
    emergency_number: str,
    crisis_line: str,
    after_hours_phone: str,
    after_hours_instructions: str,
    fasting_instructions: str,
    home_bp_hold_mmhg: tuple[int | None, int | None] | None = None,
    confirm_time_zone: str = "",
) -> ClinicSettings:
    """The settings as ``update_clinic_settings`` would store them; every refused field at once
    (``InputsRefused``), nothing written.

    A new time zone that would change the clock time of booked visits (they are stored as instants) is
    refused unless ``confirm_time_zone`` names it.
    """
    checks = Checks()
    zone = checks.run(lambda: clean_zone(time_zone))
    settings = ClinicSettings(
        time_zone=zone or "",
        phone=checks.run(lambda: clean_phone("phone", phone, required=True)) or "",
        emergency_number=checks.run(lambda: clean_emergency(emergency_number)) or "",
        crisis_line=checks.run(lambda: clean_phone("crisis_line", crisis_line, required=True)) or "",
        after_hours_phone=checks.run(lambda: clean_phone("after_hours_phone", after_hours_phone)) or "",
        after_hours_instructions=checks.run(
            lambda: clean_text("after_hours_instructions", after_hours_instructions, max_length=500)
        )
        or "",
        fasting_instructions=checks.run(
            lambda: clean_text("fasting_instructions", fasting_instructions, max_length=2000)
        )
        or "",
        home_bp_hold_mmhg=None if home_bp_hold_mmhg is None else _home_bp_limits(checks, *home_bp_hold_mmhg),
    )
    change = time_zone_change(clinic, zone, now=timezone.now()) if zone else None
    if change is not None and confirm_time_zone != zone:
        checks.refuse("time_zone", f"time_zone: {describe_time_zone_change(change)}; nothing was saved")
    checks.raise_any()
    return settings


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

    Every refused field is reported at once (``InputsRefused``) and then nothing is saved, including a
    new time zone that would change the clock time of booked visits unless ``confirm_time_zone`` names
    it (``check_clinic_settings``).
    """
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    checked = check_clinic_settings(
        clinic=clinic,
        time_zone=time_zone,
        phone=phone,
        emergency_number=emergency_number,
        crisis_line=crisis_line,
        after_hours_phone=after_hours_phone,
        after_hours_instructions=after_hours_instructions,
        fasting_instructions=fasting_instructions,
        home_bp_hold_mmhg=home_bp_hold_mmhg,
        confirm_time_zone=confirm_time_zone,
    )
    clinic.time_zone = checked.time_zone
    clinic.phone = checked.phone
    clinic.emergency_number = checked.emergency_number
    clinic.crisis_line = checked.crisis_line
    clinic.after_hours_phone = checked.after_hours_phone
    clinic.after_hours_instructions = checked.after_hours_instructions
    clinic.fasting_instructions = checked.fasting_instructions
    if names_in_titles is not None:
        clinic.names_in_titles = names_in_titles
    if checked.home_bp_hold_mmhg is not None:
        clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg = checked.home_bp_hold_mmhg
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


def describe_time_zone_change(change: TimeZoneChange) -> str:
    """The change in words, with its example: "moving to Europe/Berlin changes the clock time of 2 booked
    sessions, which keep their moment: Tuesday 10 Nov 09:00 becomes Tuesday 10 Nov 15:00"."""
    count = (
        "1 booked session, which keeps its moment"
        if change.moved == 1
        else f"{change.moved} booked sessions, which keep their moment"
    )
    return f"moving to {change.new_zone} changes the clock time of {count}: {change.example}"


def _home_bp_limits(
    checks: Checks, systolic: int | None, diastolic: int | None
) -> tuple[int | None, int | None]:
    """Both limits or neither, each within the range the core accepts (core.home_bp.BpHoldLimits)."""
    if systolic is None and diastolic is None:
        return None, None
    for field, value, (low, high) in (
        ("home_bp_hold_systolic_mmhg", systolic, HOLD_SYSTOLIC_RANGE_MMHG),
        ("home_bp_hold_diastolic_mmhg", diastolic, HOLD_DIASTOLIC_RANGE_MMHG),
    ):
        if value is None:
            checks.refuse(
                field, f"set both home blood pressure limits, or neither (this one {low}–{high} mmHg)"
            )
        elif not low <= value <= high:
            checks.refuse(field, f"{value} mmHg is outside the allowed range {low}–{high} mmHg")
    return systolic, diastolic
