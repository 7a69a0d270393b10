"""JSON shapes for patients: explicit fields, server-owned ones read-only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field


class PatientOut(Schema):
    """A patient as staff and the patient themself see it."""

    public_id: uuid.UUID
    full_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str
    emergency_contact_name: str
    emergency_contact_phone: str
    medical_record_number: str
    time_zone: str
    stage: str
    archived: bool
    clinic_public_id: uuid.UUID

    @staticmethod
    def resolve_clinic_public_id(obj: object) -> uuid.UUID:
        return obj.clinic.public_id  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_archived(obj: object) -> bool:
        return obj.archived_at is not None  # type: ignore[attr-defined]


class PatientPage(Schema):
    """One page of a patient list."""

    count: int
    page: int
    page_size: int
    next: str | None = Field(None, description="URL of the next page; null on the last page")
    results: list[PatientOut]


class PatientIn(Schema):
    """A new patient. The clinic is the caller's active clinic; stage, owner and times are the server's."""

    full_name: str = Field(min_length=1, max_length=200)
    date_of_birth: dt.date
    sex: Literal["female", "male", "other", "unknown"]
    email: str = Field("", max_length=254, description="e-mail and/or phone is required")
    phone: str = Field("", max_length=40)
    time_zone: str = Field("", max_length=64, description="IANA name; empty: the clinic's")
    preferred_name: str = Field("", max_length=100)
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_phone: str = Field("", max_length=40)
    medical_record_number: str = Field("", max_length=40)
    confirm_duplicate: bool = Field(
        False, description="register even though a patient with this name and date of birth exists"
    )


class PatientInvitationOut(Schema):
    """The patient-app invitation as staff see it (the link itself is only in the e-mail)."""

    public_id: uuid.UUID
    status: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None

    @staticmethod
    def resolve_sent_at(obj: object) -> dt.datetime:
        return obj.created_at  # type: ignore[attr-defined, no-any-return]
