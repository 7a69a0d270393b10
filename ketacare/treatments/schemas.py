"""JSON shapes for treatments: explicit fields; patient, clinic, author and times are server-owned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from ketacare.core.protocols import PHYSIOLOGICAL_RANGES


def _documented_range(field: str, unit: str) -> Any:
    # The range is documented here and enforced by the service, whose 422 names the field and range.
    low, high = PHYSIOLOGICAL_RANGES[field]
    return {"minimum": low, "maximum": high, "description": f"{low:g}–{high:g} {unit}"}


class VitalSignsIn(Schema):
    """One set of vital signs; `measured_at` defaults to now and may not precede check-in."""

    systolic_mmhg: int = Field(json_schema_extra=_documented_range("systolic_mmhg", "mmHg"))
    diastolic_mmhg: int = Field(json_schema_extra=_documented_range("diastolic_mmhg", "mmHg"))
    heart_rate_bpm: int | None = Field(None, json_schema_extra=_documented_range("heart_rate_bpm", "/min"))
    spo2_pct: int | None = Field(None, json_schema_extra=_documented_range("spo2_pct", "%"))
    measured_at: dt.datetime | None = None


class VitalSignOut(Schema):
    public_id: uuid.UUID
    kind: str
    measured_at: dt.datetime
    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int | None
    spo2_pct: int | None
    flags: list[dict[str, str]]
    entered_in_error: bool


class DoseOut(Schema):
    public_id: uuid.UUID
    drug: str
    route: str
    dose_mg: float
    lot_number: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    device_number: int | None
    entered_in_error: bool


class ObservationOut(Schema):
    public_id: uuid.UUID
    observed_at: dt.datetime
    moaas_score: int
    dissociation: str
    respiratory_concern: bool
    entered_in_error: bool


class SessionSummaryOut(Schema):
    public_id: uuid.UUID
    patient_public_id: uuid.UUID
    protocol_id: str
    route: str
    state: str
    scheduled_at: dt.datetime
    checked_in_at: dt.datetime | None
    dose_started_at: dt.datetime | None
    dose_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None

    @staticmethod
    def resolve_patient_public_id(obj: Any) -> uuid.UUID:
        return obj.patient.public_id  # type: ignore[no-any-return]


class SessionOut(SessionSummaryOut):
    planned_dose_mg: float | None
    weight_kg: float | None
    hold: bool
    vitals: list[VitalSignOut]
    doses: list[DoseOut]
    observations: list[ObservationOut]

    @staticmethod
    def resolve_vitals(obj: Any) -> list[Any]:
        return list(obj.vitals.order_by("measured_at", "id"))

    @staticmethod
    def resolve_doses(obj: Any) -> list[Any]:
        return list(obj.doses.order_by("started_at", "id"))

    @staticmethod
    def resolve_observations(obj: Any) -> list[Any]:
        return list(obj.observations.order_by("observed_at", "id"))


class ErrorOut(Schema):
    detail: str
    errors: list[dict[str, str]] = []
