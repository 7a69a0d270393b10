"""Password rules by role: patients at least 8 characters, staff at least 12, 64+ accepted (docs/security.md S9)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

PATIENT_MIN_LENGTH = 8
STAFF_MIN_LENGTH = 12
# NIST SP 800-63B asks verifiers to accept at least 64 characters; Argon2 hashes any length.
MAX_LENGTH = 256


def _is_staff(user: Any) -> bool:
    if user is None or user.pk is None:
        return False
    return bool(user.is_staff or user.memberships.exists())


class RoleAwareMinimumLengthValidator:
    """Require 12 characters for clinic staff and 8 for everyone else."""

    def validate(self, password: str, user: Any = None) -> None:
        minimum = STAFF_MIN_LENGTH if _is_staff(user) else PATIENT_MIN_LENGTH
        if len(password) < minimum:
            raise ValidationError(
                f"password is too short: {len(password)} characters; at least {minimum} are required",
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return f"At least {PATIENT_MIN_LENGTH} characters ({STAFF_MIN_LENGTH} for clinic staff)."


class MaximumLengthValidator:
    """Refuse absurdly long passwords (a denial-of-service guard), far above the 64 we must accept."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"password is too long: {len(password)} characters; at most {MAX_LENGTH} are allowed",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"At most {MAX_LENGTH} characters."
