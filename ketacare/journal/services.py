"""Writes for the journal: one entry per idempotency key; sharing is the patient's choice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from ketacare.journal.models import TEXT_MAX_CHARS, JournalEntry
from ketacare.journal.prompts import get_prompt
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import create_once
from ketacare.patients.models import Patient


class JournalError(FieldError):
    """Invalid journal input; ``field`` names the offending field."""


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """The stored entry and whether this call created it."""

    entry: JournalEntry
    created: bool


def write_journal_entry(
    *,
    patient: Patient,
    text: str,
    shared_with_clinic: bool,
    prompt_id: str,
    idempotency_key: str,
    now: dt.datetime,
) -> EntryOutcome:
    """Store a journal entry (a retry with the same key returns the original)."""

    def check() -> None:
        if not text.strip():
            raise JournalError("text", f"text is empty: write 1 to {TEXT_MAX_CHARS} characters")
        if len(text) > TEXT_MAX_CHARS:
            raise JournalError("text", f"text has {len(text)} characters: allowed at most {TEXT_MAX_CHARS}")
        if prompt_id and get_prompt(prompt_id) is None:
            raise JournalError("prompt_id", f"unknown prompt {prompt_id[:60]!r}")

    def create(_: None) -> JournalEntry:
        return JournalEntry.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            written_at=now,
            prompt_id=prompt_id,
            text=text,
            shared_with_clinic=shared_with_clinic,
            idempotency_key=idempotency_key,
        )

    entry, created = create_once(
        JournalEntry,
        patient=patient,
        idempotency_key=idempotency_key,
        prepare=check,
        create=create,
        same_as=lambda e: (
            (e.text, e.prompt_id, e.shared_with_clinic) == (text, prompt_id, shared_with_clinic)
        ),
    )
    return EntryOutcome(entry, created=created)


def set_journal_sharing(*, entry: JournalEntry, shared_with_clinic: bool) -> JournalEntry:
    """Share an entry with the clinic, or take it back."""
    with transaction.atomic():
        entry.shared_with_clinic = shared_with_clinic
        entry.save(update_fields=["shared_with_clinic"])
    return entry
