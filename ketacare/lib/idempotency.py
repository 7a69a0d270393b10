"""Idempotency keys of patient submissions: a retry with the same key returns the original row.

Check-ins, questionnaire responses and journal entries each carry a unique ``(patient,
idempotency_key)`` constraint (docs/security.md S10). ``create_once`` is the one way they are written:

1. a row with this key already exists: when the retried input is the same (``same_as``), the row is
   returned as it is (``created`` False), so a retry always gets the answer the original got; when it
   differs, ``IdempotencyConflict`` (409): the key was used for another submission, and silently
   answering with the first one would lose the new content without the client knowing;
2. otherwise the key is checked (``FieldError`` naming ``idempotency_key`` and the allowed length),
   then ``prepare()`` checks the rest of the input and computes what is stored, outside the
   transaction (it raises ``FieldError`` and writes nothing);
3. ``create(prepared)`` writes inside one transaction. When two requests with one key race, the loser
   hits the unique constraint, its transaction rolls back, and it answers with the winner's row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from ketacare.lib.errors import ConflictError, FieldError

# Long enough for a UUID or a client's own scheme, short enough to index cheaply.
IDEMPOTENCY_KEY_MAX_CHARS = 64

M = TypeVar("M", bound=models.Model)
P = TypeVar("P")


class IdempotencyConflict(ConflictError):
    """The key was already used for a submission with different content."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency_key",
            "this idempotency_key was already used for a different submission; "
            "send new content with a new key (a retry must repeat the original content)",
        )


def check_idempotency_key(idempotency_key: str) -> None:
    """Raise FieldError unless the key is 1 to IDEMPOTENCY_KEY_MAX_CHARS characters long."""
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise FieldError(
            "idempotency_key", f"idempotency_key must be 1 to {IDEMPOTENCY_KEY_MAX_CHARS} characters"
        )


def create_once(
    model: type[M],
    *,
    patient: Any,
    idempotency_key: str,
    prepare: Callable[[], P],
    create: Callable[[P], M],
    same_as: Callable[[M], bool] | None = None,
) -> tuple[M, bool]:
    """The row of ``model`` stored for this patient and key, and whether this call created it.

    ``model`` has a unique constraint on ``(patient, idempotency_key)``; ``create`` stores exactly one
    such row with this key (and anything that belongs with it, e.g. an alert) and returns it.
    ``same_as(row)`` says whether a stored row holds the content of this call (the patient services
    always pass it; None accepts any stored row).
    """
    original = model._default_manager.filter(patient=patient, idempotency_key=idempotency_key).first()
    if original is not None:
        if same_as is not None and not same_as(original):
            raise IdempotencyConflict()
        return original, False
    check_idempotency_key(idempotency_key)
    prepared = prepare()
    try:
        with transaction.atomic():
            return create(prepared), True
    except IntegrityError:
        # The same key arrived twice at once and the other request stored it first.
        original = model._default_manager.filter(patient=patient, idempotency_key=idempotency_key).first()
        if original is None:
            raise
        if same_as is not None and not same_as(original):
            raise IdempotencyConflict() from None
        return original, False
