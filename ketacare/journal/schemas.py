"""JSON shapes for the journal."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from ketacare.journal.models import TEXT_MAX_CHARS
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS


class JournalIn(Schema):
    """A journal entry as the patient writes it (private unless shared_with_clinic)."""

    idempotency_key: str = Field(..., min_length=1, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    text: str = Field(..., min_length=1, max_length=TEXT_MAX_CHARS)
    shared_with_clinic: bool = False
    prompt_id: str = Field("", max_length=60)


class JournalOut(Schema):
    public_id: uuid.UUID
    written_at: dt.datetime
    text: str
    shared_with_clinic: bool
    prompt_id: str
