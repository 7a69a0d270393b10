"""JSON shapes for patients: explicit fields, server-owned ones read-only."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema


class PatientOut(Schema):
    """A patient as staff and the patient themself see it."""

    public_id: uuid.UUID
    full_name: str
    date_of_birth: dt.date
    medical_record_number: str
    time_zone: str
    stage: str
    clinic_public_id: uuid.UUID

    @staticmethod
    def resolve_clinic_public_id(obj: object) -> uuid.UUID:
        return obj.clinic.public_id  # type: ignore[attr-defined, no-any-return]


class PatientPage(Schema):
    """One page of a patient list."""

    count: int
    page: int
    page_size: int
    results: list[PatientOut]
