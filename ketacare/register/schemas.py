"""JSON shapes of the register API (read-only, for integrations): explicit fields, public ids only."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema


class StockOut(Schema):
    product: str
    lot: str
    expires_on: dt.date
    location: str
    balance_mg: str
    drawn_out_mg: str


class EntryOut(Schema):
    id: uuid.UUID
    occurred_at: dt.datetime
    kind: str
    product: str
    lot: str
    location: str
    change_mg: str
    balance_after_mg: str
    recorded_by: str
    witness: str
    session: uuid.UUID | None
    reason: str
