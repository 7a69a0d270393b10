"""JSON shapes for questionnaires: answers in, scores out (the score is computed by the server)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS


class QuestionnaireIn(Schema):
    """Answers keyed by the core's item ids, e.g. {"phq9.q1": 2, ...}."""

    idempotency_key: str = Field(..., min_length=1, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    instrument_id: str = Field("phq9", min_length=1, max_length=40)
    answers: dict[str, int] = Field(default_factory=dict, max_length=100)


class QuestionnaireOut(Schema):
    """A stored response with its computed score."""

    public_id: uuid.UUID
    instrument_id: str
    instrument_version: str
    total: float
    band: str
    item_alerts: list[dict[str, Any]]
    submitted_at: dt.datetime


class AssignmentOut(Schema):
    """A questionnaire that is due."""

    public_id: uuid.UUID
    instrument_id: str
    reason: str
    due_at: dt.datetime
