"""Domain errors of the treatments services (never HTTP ones): each names the field and the rule."""

from __future__ import annotations


class TreatmentError(Exception):
    """A write was refused; nothing was stored. `field` names the offending input ("" if none)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(TreatmentError):
    """A value is out of range, malformed or at an impossible time."""


class StateError(TreatmentError):
    """The action does not fit the session's state (e.g. a dose before check-in)."""


class PermissionRefused(TreatmentError):
    """The action needs a role the user does not hold (e.g. a hold override needs a prescriber)."""


class DischargeRefused(TreatmentError):
    """Discharge criteria are unmet; `unmet` lists every one (code, message)."""

    def __init__(self, message: str, *, unmet: list[tuple[str, str]]) -> None:
        super().__init__(message, field="discharge")
        self.unmet = unmet
