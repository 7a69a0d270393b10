"""The treatments-specific refusals; every other one is a `ketacare.lib.errors` class.

Services raise ``FieldError`` for invalid input, ``ConflictError`` for an action that does not fit
the session's state and ``NotPermitted`` for a role the user does not hold; a refused discharge also
lists every unmet criterion so the run-sheet can show them all at once, and a form refused for several
inputs names each of them at once (``InputsRefused``).
"""

from __future__ import annotations

from ketacare.lib.errors import ConflictError, FieldError


class InputsRefused(FieldError):
    """Several inputs of one write refused at once: ``errors`` holds every one, in the order of the form.

    The error itself is the first; ``unmet`` the others, which the API lists after it as it lists a
    refused discharge's criteria (``ketacare.api.refused``); a page puts each on its field.
    """

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors
        self.unmet = [(e.field, e.message) for e in errors[1:]]


class DischargeRefused(ConflictError):
    """Discharge criteria are unmet; `unmet` lists every one (code, message)."""

    def __init__(self, field: str, message: str, *, unmet: list[tuple[str, str]]) -> None:
        super().__init__(field, message)
        self.unmet = unmet
