"""JSON shapes for check-ins: what a patient may send, and what they get back (server fields read-only)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from ketacare.checkins.models import MOOD_MAX, MOOD_MIN, NOTE_MAX_CHARS, OTHER_TEXT_MAX_CHARS
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS


class ReportSchema(Schema):
    symptom_id: str = Field(..., min_length=1, max_length=60, description="a side effect or red flag id")
    severity: Literal["mild", "moderate", "severe"] | None = Field(
        None,
        description=(
            "how strong; optional: left out or null, it is stored as not given and changes no level (a "
            "red flag keeps its own). The patient's web form asks for it with nothing preset; an "
            "emergency red flag ignores it"
        ),
    )
    onset_min: int | None = Field(
        None,
        ge=0,
        le=7 * 24 * 60,
        description="when it started, minutes after the session (optional; refused before any session)",
    )
    onset_day: dt.date | None = Field(
        None,
        description=(
            "or the day it started on the patient's clock, from the day after the session to today, or "
            "before any session within the last seven days (optional; not with onset_min)"
        ),
    )


class HomeBpSchema(Schema):
    """A home blood-pressure reading (ranges checked by the service, which names the field)."""

    systolic_mmhg: int = Field(..., description="top number, 50 to 300 mmHg")
    diastolic_mmhg: int = Field(..., description="bottom number, 20 to 200 mmHg, below the top number")
    pulse_bpm: int | None = Field(None, description="pulse, 20 to 250 beats a minute (optional)")


class CheckinIn(Schema):
    """A check-in as the patient submits it."""

    idempotency_key: str = Field(..., min_length=1, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    reports: list[ReportSchema] = Field(default_factory=list, max_length=30)
    mood: int | None = Field(None, ge=MOOD_MIN, le=MOOD_MAX, description=f"{MOOD_MIN} to {MOOD_MAX}")
    note: str = Field("", max_length=NOTE_MAX_CHARS)
    other_text: str = Field(
        "",
        max_length=OTHER_TEXT_MAX_CHARS,
        description="Something else? Describe it (screened, never dropped)",
    )
    worry: Literal["", "a_little", "quite", "very"] = Field(
        "",
        description="How worried are you about other_text? Optional: left out, the care team's review "
        "of the words is at the review level and the clinic reads 'not answered'",
    )
    home_bp: HomeBpSchema | None = None


class CheckinOut(Schema):
    """A stored check-in with its triage answer."""

    public_id: uuid.UUID
    submitted_at: dt.datetime
    mood_0_10: int | None
    note: str
    other_text: str
    worry: str
    home_systolic_mmhg: int | None
    home_diastolic_mmhg: int | None
    home_pulse_bpm: int | None
    triage_level: str
    triage_result: dict[str, Any]
