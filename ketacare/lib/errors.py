"""The one domain error of every service (never an HTTP one): which input was refused, and why.

Services raise ``FieldError(field, message)``; the API answers it with one exception handler
(``ketacare.api``) and the HTML views put it on the form field it names. Nothing was stored when it is
raised: services raise before writing or inside the transaction that rolls back.
"""

from __future__ import annotations


class FieldError(ValueError):
    """Invalid input to a service: ``field`` names the offending input ("" for none), the message the allowed values."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ConflictError(FieldError):
    """The input is valid but does not fit the record's current state (e.g. a dose before check-in)."""


class NotPermitted(FieldError):
    """The action needs a role the user does not hold at the patient's clinic (e.g. a prescriber's)."""
