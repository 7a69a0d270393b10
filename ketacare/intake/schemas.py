"""JSON shapes for intake and screening: explicit fields; computed results and authorship are read-only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from ketacare.intake.services import MAX_MEDICATION_CHARS, MAX_MEDICATIONS, route_name

MedicationText = Annotated[str, StringConstraints(max_length=MAX_MEDICATION_CHARS)]
Identifier = Annotated[str, StringConstraints(max_length=60)]

# --- input ---------------------------------------------------------------------------------------------------


class MedicationsIn(Schema):
    """The patient's current medicines (free text, one entry each) and any ticked interaction classes.

    A list names at least one medicine or class, or sets ``no_medicines``: an empty list without it is
    refused (422 naming ``medications``), since a screening could not tell it from a list never taken.
    Server-owned fields (patient, clinic, author, time recorded, flags) are not accepted.
    """

    medications: list[MedicationText] = Field(
        ...,
        max_length=MAX_MEDICATIONS,
        description=f"free text, one medicine per entry, at most {MAX_MEDICATIONS} entries of "
        f"{MAX_MEDICATION_CHARS} characters",
    )
    drug_classes: list[Identifier] = Field(
        default_factory=list,
        max_length=20,
        description="interaction class ids from the core's screening data, e.g. benzodiazepines, maois",
    )
    no_medicines: bool = Field(
        default=False,
        description="true: the patient said they take no medicines (then medications and drug_classes are "
        "empty); required for an empty list",
    )


class ScreeningIn(Schema):
    """The checklist conditions present (ids from the core's screening data); the rest count as absent.

    As on the intake page, a screening needs ``all_items_asked: true`` (the caller asked the patient
    about every checklist item, so an absent id is the patient's "no") and a current medication list
    that names the medicines or says ``no_medicines``; otherwise 422 naming ``all_items_asked`` or
    ``medications``, every refusal listed, nothing written.
    """

    conditions: list[Identifier] = Field(
        ..., max_length=50, description="condition ids, e.g. uncontrolled_hypertension; [] for none"
    )
    all_items_asked: bool = Field(
        ...,
        description="true: the patient was asked about every checklist condition (the conditions of "
        "`ketacare knowledge list screening`), so an id left out is their no; false is refused",
    )


# --- output --------------------------------------------------------------------------------------------------


class ReasonOut(Schema):
    """One finding behind a screening result or an interaction flag, as the core computed it."""

    kind: str
    id: str
    name: str
    level: str
    detail: str
    evidence: str
    sources: list[str]
    medications: list[str]


class IntakeOut(Schema):
    public_id: uuid.UUID
    status: str
    recorded_at: dt.datetime
    sex: str
    height_cm: float | None
    indications: list[str]
    indication_other: str
    previous_treatments: str


class WeightOut(Schema):
    public_id: uuid.UUID
    status: str
    weight_kg: float
    measured_at: dt.datetime


class MedicationListOut(Schema):
    public_id: uuid.UUID
    status: str
    recorded_at: dt.datetime
    medications: list[str]
    drug_classes: list[str]
    no_medicines: bool
    flags: list[ReasonOut]
    unrecognised_medications: list[str]


class ScreeningOut(Schema):
    public_id: uuid.UUID
    status: str
    assessed_at: dt.datetime
    answers: dict[str, bool]
    all_items_asked: bool
    medications: list[str]
    drug_classes: list[str]
    no_medicines: bool
    eligibility: str
    reasons: list[ReasonOut]
    unrecognised_medications: list[str]
    rems_form_items: list[str]
    decision: str
    decision_note: str
    decided_by: str | None
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return str(obj.decided_by) if obj.decided_by_id else None


class ConsentOut(Schema):
    """A consent: ``routes`` are the route ids it covers and ``route_names`` the same routes in words;
    ``signed_form_seen`` is true when the person who recorded it (at ``created_at``) said they saw the
    signed form filed in the clinic's records."""

    public_id: uuid.UUID
    status: str
    document_version: str
    signed_on: dt.date
    signer_name: str
    signer_relationship: str
    routes: list[str]
    route_names: list[str]
    signed_form_seen: bool
    created_at: dt.datetime
    withdrawn_at: dt.datetime | None

    @staticmethod
    def resolve_route_names(obj: Any) -> list[str]:
        return [route_name(str(route)) for route in obj.routes or []]


class ItemAlertOut(Schema):
    code: str
    item_id: str
    value: int
    message: str
    level: str | None


class BaselineOut(Schema):
    public_id: uuid.UUID
    status: str
    instrument_id: str
    instrument_version: str
    completed_at: dt.datetime
    total: float
    band: str
    item_alerts: list[ItemAlertOut]


class IntakeSummaryOut(Schema):
    """A patient's current intake, weights, medicines, screening, consents and baseline scores."""

    patient_public_id: uuid.UUID
    intake: IntakeOut | None
    weights: list[WeightOut]
    medication_list: MedicationListOut | None
    screening: ScreeningOut | None
    consents: list[ConsentOut]
    baselines: list[BaselineOut]
