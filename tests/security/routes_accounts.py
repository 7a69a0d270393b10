"""Authorisation-matrix entries for setting a clinic up from zero (docs/decisions/0011).

Staff administration (invite, roles, deactivation, second-factor reset, clinic settings) is for the
clinic admin of the active clinic; registering, correcting, archiving and inviting patients is for
staff of the patient's clinic; the links sent by e-mail (staff and patient invitations, password
reset) are public but refused (403) to whoever is already signed in.

The matrix's targets are patients; a route about a staff membership acts on clinician A's membership
whatever the target, and one about a staff invitation on a pending invitation to clinic A (admin A
may, everyone else gets a 404). Cross-clinic staff access (admin of
clinic B, a nurse) is covered in tests/security/test_staff_administration_matrix.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.security.routes import Route, patient_kwargs

PASSWORD = "matrix staff password 2026"  # noqa: S105 - test data only


def _email() -> str:
    return f"matrix-{uuid.uuid4().hex[:12]}@example.org"


def staff_invitation_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.accounts.tokens import new_token
    from ketacare.clinics.models import StaffInvitation

    token, digest = new_token()
    invitation = StaffInvitation.objects.create(
        email=_email(),
        role="nurse",
        token_digest=digest,
        expires_at=timezone.now() + dt.timedelta(hours=48),
    )
    invitation.clinics.set([target.clinic])
    return {"token": token}


def _fresh_patient(target: Any) -> Any:
    from ketacare.patients.models import Patient

    return Patient.objects.create(
        clinic=target.clinic,
        full_name=f"Fresh Patient {uuid.uuid4().hex[:6]}",
        date_of_birth=dt.date(1985, 3, 4),
        email=_email(),
        time_zone=target.clinic.time_zone,
    )


def fresh_patient_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    """A new patient without an account in the target's clinic (what an invitation is sent to)."""
    return {"patient_id": str(_fresh_patient(target).public_id)}


def patient_invitation_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.accounts.tokens import new_token
    from ketacare.patients.models import PatientInvitation

    patient = _fresh_patient(target)
    token, digest = new_token()
    PatientInvitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        email=patient.email,
        sent_by=target.primary_clinician,
        token_digest=digest,
        expires_at=timezone.now() + dt.timedelta(hours=48),
    )
    return {"token": token}


def reset_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.accounts.tokens import reset_tokens

    return {"user_id": str(target.user.public_id), "token": reset_tokens.make_token(target.user)}


def clinician_a_membership(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.clinics.models import StaffMembership

    membership = StaffMembership.objects.get(user=personas.clinician_a, clinic=personas.clinic_a)
    return {"membership_id": str(membership.public_id)}


def clinic_a_invitation(personas: Any, target: Any) -> dict[str, Any]:
    """A pending staff invitation to clinic A whatever the target: admin A may send it again or withdraw
    it, everyone else gets a 404."""
    from django.utils import timezone

    from ketacare.accounts.tokens import new_token
    from ketacare.clinics.models import StaffInvitation

    invitation = StaffInvitation.objects.create(
        email=_email(),
        role="nurse",
        invited_by=personas.admin_a,
        token_digest=new_token()[1],
        expires_at=timezone.now() + dt.timedelta(hours=48),
    )
    invitation.clinics.set([personas.clinic_a])
    return {"invitation_id": str(invitation.public_id)}


def _new_password(personas: Any, target: Any) -> dict[str, Any]:
    return {"password": PASSWORD, "confirm": PASSWORD}


def _accept_staff(personas: Any, target: Any) -> dict[str, Any]:
    return {"full_name": "Matrix Nurse", "password": PASSWORD, "confirm": PASSWORD}


def _new_patient(personas: Any, target: Any) -> dict[str, Any]:
    return {
        "full_name": f"Registered {uuid.uuid4().hex[:8]}",
        "date_of_birth": "1979-02-03",
        "sex": "female",
        "email": _email(),
        "time_zone": "America/New_York",
    }


def _corrected(personas: Any, target: Any) -> dict[str, Any]:
    return {
        "full_name": target.full_name,
        "date_of_birth": target.date_of_birth.isoformat(),
        "sex": "female",
        "email": _email(),
        "phone": "+1 555 0199",
        "time_zone": target.time_zone,
    }


def _settings(personas: Any, target: Any) -> dict[str, Any]:
    return {
        "time_zone": "America/New_York",
        "phone": "+1 555 0100",
        "emergency_number": "911",
        "crisis_line": "988",
        "after_hours_phone": "+1 555 0111",
        "mon_opens": "08:00",
        "mon_closes": "18:00",
        "fasting_instructions": "No food for 6 hours before your session.",
    }


ROUTES: list[Route] = [
    # The staff member's own second factor.
    Route(
        "accounts:security",
        "staff",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"action": "regenerate_codes"},
    ),
    # The patient's own account page. The personas have no password, so the change is refused (400:
    # the current password is wrong) and nothing changes; the change itself is tested in accounts/tests.
    Route(
        "accounts:my_account",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 400},
        data=lambda p, t: {
            "old_password": "not the current one",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    ),
    # Links sent by e-mail: public, refused to a signed-in visitor.
    Route(
        "accounts:staff_invitation",
        "public",
        methods=("GET", "POST"),
        kwargs=staff_invitation_kwargs,
        ok={"POST": 200},
        ok_signed_in=403,
        data=_accept_staff,
    ),
    Route(
        "accounts:password_reset",
        "public",
        methods=("GET", "POST"),
        data=lambda p, t: {"email": _email()},
    ),
    Route(
        "accounts:password_reset_confirm",
        "public",
        methods=("GET", "POST"),
        kwargs=reset_kwargs,
        ok={"POST": 302},
        ok_signed_in=403,
        data=_new_password,
    ),
    Route(
        "patients:accept_invitation",
        "public",
        methods=("GET", "POST"),
        kwargs=patient_invitation_kwargs,
        ok_signed_in=403,
        data=_new_password,
    ),
    # Clinic administration.
    Route("clinics:settings", "admin", methods=("GET", "POST"), ok={"POST": 302}, data=_settings),
    Route("clinics:staff", "admin"),
    # The installation's dosing protocols, read-only: every staff role reads them (patients 404).
    Route("clinics:protocols", "staff"),
    Route(
        "clinics:staff_invite",
        "admin",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"email": _email(), "role": "nurse", "clinics": [str(p.clinic_a.public_id)]},
    ),
    Route(
        "clinics:staff_invitation_resend",
        "admin",
        methods=("POST",),
        kwargs=clinic_a_invitation,
        ok={"POST": 302},
    ),
    Route(
        "clinics:staff_invitation_withdraw",
        "admin",
        methods=("POST",),
        kwargs=clinic_a_invitation,
        ok={"POST": 302},
        data=lambda p, t: {"confirm": "yes"},
    ),
    Route(
        "clinics:staff_role",
        "admin",
        methods=("POST",),
        kwargs=clinician_a_membership,
        ok={"POST": 302},
        data=lambda p, t: {"role": "nurse"},
    ),
    Route(
        "clinics:staff_deactivate",
        "admin",
        methods=("POST",),
        kwargs=clinician_a_membership,
        ok={"POST": 302},
        data=lambda p, t: {"confirm": "yes"},
    ),
    Route(
        "clinics:staff_reactivate",
        "admin",
        methods=("POST",),
        kwargs=clinician_a_membership,
        ok={"POST": 302},
    ),
    Route(
        "clinics:staff_reset_second_factor",
        "admin",
        methods=("POST",),
        kwargs=clinician_a_membership,
        ok={"POST": 302},
    ),
    # Patients: registration, corrections, archive, the companion invitation.
    Route("patients:new", "staff", methods=("GET", "POST"), ok={"POST": 302}, data=_new_patient),
    Route(
        "patients:edit",
        "staff_record",
        methods=("GET", "POST"),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_corrected,
    ),
    # A confirmation page; archiving needs a typed reason.
    Route(
        "patients:archive",
        "staff_record",
        methods=("GET", "POST"),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda personas, target: {"reason": "Treatment finished"},
    ),
    Route("patients:restore", "staff_record", methods=("POST",), kwargs=patient_kwargs, ok={"POST": 302}),
    Route(
        "patients:invite", "staff_record", methods=("POST",), kwargs=fresh_patient_kwargs, ok={"POST": 302}
    ),
    Route("patients:my_clinic", "patient"),
    # API
    Route("api:create_patient", "staff", methods=("POST",), api=True, ok={"POST": 201}, data=_new_patient),
    Route(
        "api:invite_patient",
        "staff_record",
        methods=("POST",),
        api=True,
        kwargs=fresh_patient_kwargs,
        ok={"POST": 201},
    ),
    Route("api:list_staff", "admin", api=True),
    Route(
        "api:invite_staff",
        "admin",
        methods=("POST",),
        api=True,
        ok={"POST": 201},
        data=lambda p, t: {"email": _email(), "role": "prescriber"},
    ),
    # The pending invitation to clinic A whatever the target, as for the staff page's buttons.
    Route(
        "api:resend_staff_invitation",
        "admin",
        methods=("POST",),
        api=True,
        kwargs=clinic_a_invitation,
        ok={"POST": 201},
    ),
    Route(
        "api:withdraw_staff_invitation",
        "admin",
        methods=("POST",),
        api=True,
        kwargs=clinic_a_invitation,
    ),
]
