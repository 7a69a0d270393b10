"""Domain errors shared by the apps' services (never HTTP ones)."""

from __future__ import annotations


class FieldError(ValueError):
    """Invalid input to a service: `field` names the offending input, the message the allowed values."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
