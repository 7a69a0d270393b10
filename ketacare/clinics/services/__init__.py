"""Writes for clinics: first-run setup, clinic settings, staff invitations, roles and deactivation.

Each service is keyword-only and one transaction; e-mail is written with the change (the outbox) or
leaves after commit; refused input raises ``FieldError`` naming the field before anything is written
(or inside the transaction that rolls back). One module per sub-domain: the clinic itself, its staff.
"""

from __future__ import annotations

from ketacare.clinics.services._fields import MAX_PHONE_DIGITS, ROLE_VALUES, InputsRefused, Role, refusals
from ketacare.clinics.services.clinic import (
    ClinicSettings,
    SetupResult,
    check_clinic_settings,
    describe_time_zone_change,
    set_up_installation,
    update_clinic_settings,
)
from ketacare.clinics.services.staff import (
    Withdrawal,
    accept_staff_invitation,
    change_staff_role,
    deactivate_staff,
    invite_staff,
    reactivate_staff,
    resend_staff_invitation,
    reset_staff_second_factor,
    revoke_staff_invitation,
)

__all__ = [
    "MAX_PHONE_DIGITS",
    "ROLE_VALUES",
    "ClinicSettings",
    "InputsRefused",
    "Role",
    "SetupResult",
    "Withdrawal",
    "accept_staff_invitation",
    "change_staff_role",
    "check_clinic_settings",
    "deactivate_staff",
    "describe_time_zone_change",
    "invite_staff",
    "reactivate_staff",
    "refusals",
    "resend_staff_invitation",
    "reset_staff_second_factor",
    "revoke_staff_invitation",
    "set_up_installation",
    "update_clinic_settings",
]
