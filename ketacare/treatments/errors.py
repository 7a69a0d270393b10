"""The one treatments-specific refusal; every other one is a `ketacare.lib.errors` class.

Services raise ``FieldError`` for invalid input, ``ConflictError`` for an action that does not fit
the session's state and ``NotPermitted`` for a role the user does not hold; a refused discharge also
lists every unmet criterion so the run-sheet can show them all at once.
"""

from __future__ import annotations

from ketacare.lib.errors import ConflictError


class DischargeRefused(ConflictError):
    """Discharge criteria are unmet; `unmet` lists every one (code, message)."""

    def __init__(self, field: str, message: str, *, unmet: list[tuple[str, str]]) -> None:
        super().__init__(field, message)
        self.unmet = unmet
