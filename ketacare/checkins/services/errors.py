"""The check-in services' refusal (a FieldError naming the field)."""

from __future__ import annotations

from ketacare.lib.errors import FieldError


class CheckinError(FieldError):
    """Invalid check-in input; ``field`` names the offending field, the message the allowed range."""
