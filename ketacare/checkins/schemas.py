"""JSON shapes for check-ins: what a patient may send, and what they get back (server fields read-only)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from ketacare.checkins.models import MOOD_MAX, MOOD_MIN, NOTE_MAX_CHARS
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS


class ReportSchema(Schema):
    symptom_id: str = Field(..., min_length=1, max_length=60, description="a side effect or red flag id")
    severity: Literal["mild", "moderate", "severe"] = "mild"


class CheckinIn(Schema):
    """A check-in as the patient submits it."""

    idempotency_key: str = Field(..., min_length=1, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    reports: list[ReportSchema] = Field(default_factory=list, max_length=30)
    mood: int | None = Field(None, ge=MOOD_MIN, le=MOOD_MAX, description=f"{MOOD_MIN} to {MOOD_MAX}")
    note: str = Field("", max_length=NOTE_MAX_CHARS)


class CheckinOut(Schema):
    """A stored check-in with its triage answer."""

    public_id: uuid.UUID
    submitted_at: dt.datetime
    mood_0_10: int | None
    note: str
    triage_level: str
    triage_result: dict[str, Any]
