"""One journal entry per idempotency key, also when two requests with the key race (docs/security.md S10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketacare.journal.models import JournalEntry
from ketacare.journal.services import write_journal_entry
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS, IdempotencyConflict, create_once

pytestmark = pytest.mark.django_db


def _entry(patient: Any, key: str, text: str) -> JournalEntry:
    return JournalEntry.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        written_at=timezone.now(),
        text=text,
        idempotency_key=key,
    )


def test_a_retry_returns_the_original_entry_unchanged(personas: Any) -> None:
    kwargs: dict[str, Any] = {"patient": personas.a1, "shared_with_clinic": False, "prompt_id": ""}
    first = write_journal_entry(**kwargs, text="First.", idempotency_key="k", now=timezone.now())
    second = write_journal_entry(**kwargs, text="First.", idempotency_key="k", now=timezone.now())
    assert first.created and not second.created
    assert second.entry.pk == first.entry.pk and second.entry.text == "First."
    assert JournalEntry.objects.count() == 1


def test_the_same_key_with_other_text_is_refused_and_keeps_the_original(personas: Any) -> None:
    # Answering a changed body with the first entry would lose the new text silently.
    kwargs: dict[str, Any] = {"patient": personas.a1, "shared_with_clinic": False, "prompt_id": ""}
    write_journal_entry(**kwargs, text="First.", idempotency_key="k", now=timezone.now())
    with pytest.raises(IdempotencyConflict):
        write_journal_entry(**kwargs, text="Second.", idempotency_key="k", now=timezone.now())
    assert list(JournalEntry.objects.values_list("text", flat=True)) == ["First."]


def test_a_concurrent_duplicate_resolves_to_the_winners_row(personas: Any) -> None:
    patient = personas.a1
    winner: list[JournalEntry] = []

    def prepare() -> None:
        # The other request stores the same key after this one looked for it and before it writes.
        winner.append(_entry(patient, "race", "Winner."))

    row, created = create_once(
        JournalEntry,
        patient=patient,
        idempotency_key="race",
        prepare=prepare,
        create=lambda _: _entry(patient, "race", "Loser."),
    )
    assert not created and row.pk == winner[0].pk and row.text == "Winner."
    assert JournalEntry.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("key", ["", "k" * (IDEMPOTENCY_KEY_MAX_CHARS + 1)])
def test_a_key_outside_the_allowed_length_is_refused_and_writes_nothing(personas: Any, key: str) -> None:
    with pytest.raises(FieldError) as caught:
        write_journal_entry(
            patient=personas.a1,
            text="A calm day.",
            shared_with_clinic=False,
            prompt_id="",
            idempotency_key=key,
            now=timezone.now(),
        )
    assert caught.value.field == "idempotency_key"
    assert f"1 to {IDEMPOTENCY_KEY_MAX_CHARS} characters" in caught.value.message
    assert not JournalEntry.objects.exists()
