"""The checks every clinics service applies to what it is given; each raises ``FieldError`` naming the
field and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ketacare.clinics.models import StaffMembership, validate_time_zone
from ketacare.lib.errors import FieldError

Role = StaffMembership.Role
ROLE_VALUES = ", ".join(Role.values)
_T = TypeVar("_T")


class InputsRefused(FieldError):
    """Several inputs of one write refused at once: ``errors`` holds every one, in the order of the form.

    The error itself is the first; ``unmet`` the others, which the API lists after it
    (``ketacare.api.refused``); a page puts each on its field.
    """

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors
        self.unmet = [(e.field, e.message) for e in errors[1:]]


def refusals(error: FieldError) -> list[FieldError]:
    """Every refusal an error carries: the several of :class:`InputsRefused`, or the error itself."""
    return list(getattr(error, "errors", None) or [error])


class Checks:
    """Runs each input's check and keeps every refusal, so that all of them are reported together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, check: Callable[[], _T]) -> _T | None:
        """The check's value, or None when it refused its input (kept for :meth:`raise_any`)."""
        try:
            return check()
        except FieldError as error:
            self.errors.extend(refusals(error))
            return None

    def refuse(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def failed(self, field: str) -> bool:
        return any(error.field == field for error in self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise InputsRefused(self.errors)


def clean_text(field: str, value: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise FieldError(field, f"{field} contains a NUL character, which is not allowed")
    if required and not value:
        raise FieldError(field, f"{field} is required (1 to {max_length} characters)")
    if len(value) > max_length:
        raise FieldError(field, f"{field} must be at most {max_length} characters (got {len(value)})")
    return value


MAX_PHONE_DIGITS = 15  # ITU-T E.164: at most 15 digits, country code included


def clean_phone(field: str, value: str, *, required: bool = False) -> str:
    value = clean_text(field, value, max_length=40, required=required)
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


def clean_emergency(value: str) -> str:
    value = clean_phone("emergency_number", value, required=True)
    if len(value) > 20:
        raise FieldError(
            "emergency_number", f"emergency_number must be at most 20 characters (got {len(value)})"
        )
    return value


def clean_email(field: str, value: str) -> str:
    value = clean_text(field, value, max_length=254, required=True).lower()
    try:
        validate_email(value)
    except ValidationError:
        raise FieldError(field, f"{field}: {value!r} is not an e-mail address (name@example.org)") from None
    return value


def clean_zone(value: str) -> str:
    try:
        validate_time_zone(value)
    except ValidationError:
        raise FieldError(
            "time_zone", f"time_zone {value!r} is not an IANA time-zone name (e.g. America/New_York)"
        ) from None
    return value


def clean_role(value: str) -> str:
    if value not in Role.values:
        raise FieldError("role", f"role {value!r} is not one of {ROLE_VALUES}")
    return value
