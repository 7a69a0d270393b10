"""A witness re-authenticates on the recorder's device: their own password and authenticator code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.lib.errors import FieldError
from ketacare.register.services._common import (
    VerifiedWitness,
    role_at,
)


def verify_witness(
    *, clinic: Clinic, recorder: User, email: str, password: str, otp_token: str
) -> VerifiedWitness:
    """Check a witness's own password and authenticator code, typed on the recorder's device.

    The witness must be active staff of the clinic and another person than the recorder. Each outcome
    is audited as a second-factor check (object type "witness"); a wrong password or code says which
    input to retype without telling which one failed.
    """
    email = (email or "").strip()
    if not email:
        # Nothing was tried: say what is missing, not that something typed was wrong.
        raise FieldError(
            "witness_email",
            "a second member of staff must witness this: they type their e-mail, password and "
            "authenticator code here",
        )
    witness = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if witness is not None and witness.pk == recorder.pk:
        raise FieldError("witness_email", "the witness must be another person than the one recording")
    refusal = FieldError(
        "witness_password", "the witness's e-mail, password or authenticator code is not right"
    )
    if witness is None or role_at(witness, clinic.pk) is None:
        record_access_event(
            user=recorder,
            action="mfa",
            outcome="failure",
            clinic=clinic,
            object_type="witness",
            object_id=email[:64],
        )
        raise refusal
    password_ok = witness.check_password(password or "")
    token = (otp_token or "").strip()
    token_ok = False
    if password_ok and token.isdigit():
        for device in TOTPDevice.objects.filter(user=witness, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                token_ok = True
                break
    if not (password_ok and token_ok):
        record_access_event(
            user=recorder,
            action="mfa",
            outcome="failure",
            clinic=clinic,
            object_type="witness",
            object_id=str(witness.public_id),
        )
        raise refusal
    record_access_event(
        user=recorder,
        action="mfa",
        outcome="success",
        clinic=clinic,
        object_type="witness",
        object_id=str(witness.public_id),
    )
    return VerifiedWitness(user=witness, verified_at=timezone.now())


def _check_witness(witness: VerifiedWitness | None, user: User, now: dt.datetime) -> User:
    if witness is None:
        raise FieldError("witness_email", "a second member of staff must witness this")
    if witness.user.pk == user.pk:
        raise FieldError("witness_email", "the witness must be another person than the one recording")
    if now - witness.verified_at > dt.timedelta(minutes=5):
        raise FieldError("witness_password", "the witness confirmed more than 5 minutes ago: confirm again")
    return witness.user
