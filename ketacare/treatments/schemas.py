"""JSON shapes for treatments: explicit fields; patient, clinic, author and times are server-owned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field

from ketacare.core.protocols import PHYSIOLOGICAL_RANGES
from ketacare.treatments.models import ENTERED_IN_ERROR_REASON_MAX


def _documented_range(field: str, unit: str) -> Any:
    # The range is documented here and enforced by the service, whose 422 names the field and range.
    low, high = PHYSIOLOGICAL_RANGES[field]
    return {"minimum": low, "maximum": high, "description": f"{low:g}–{high:g} {unit}"}


class _CorrectionOut(Schema):
    """An entry's correction: who marked it entered in error (name, else e-mail), when and why.

    All three are null or empty for a valid entry, and for an entry marked before they were recorded.
    """

    @staticmethod
    def resolve_entered_in_error_by(obj: Any) -> str | None:
        return str(obj.entered_in_error_by) if obj.entered_in_error_by_id else None


class VitalSignsIn(Schema):
    """One set of vital signs; `measured_at` defaults to now and may not precede check-in."""

    systolic_mmhg: int = Field(json_schema_extra=_documented_range("systolic_mmhg", "mmHg"))
    diastolic_mmhg: int = Field(json_schema_extra=_documented_range("diastolic_mmhg", "mmHg"))
    heart_rate_bpm: int | None = Field(None, json_schema_extra=_documented_range("heart_rate_bpm", "/min"))
    spo2_pct: int | None = Field(None, json_schema_extra=_documented_range("spo2_pct", "%"))
    measured_at: dt.datetime | None = None


class VitalSignOut(_CorrectionOut):
    public_id: uuid.UUID
    kind: str
    measured_at: dt.datetime
    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int | None
    spo2_pct: int | None
    flags: list[dict[str, str]]
    entered_in_error: bool
    entered_in_error_reason: str
    entered_in_error_by: str | None
    entered_in_error_at: dt.datetime | None


class DoseOut(_CorrectionOut):
    public_id: uuid.UUID
    drug: str
    route: str
    dose_mg: float
    lot_number: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    device_number: int | None
    entered_in_error: bool
    entered_in_error_reason: str
    entered_in_error_by: str | None
    entered_in_error_at: dt.datetime | None


class ObservationOut(_CorrectionOut):
    public_id: uuid.UUID
    observed_at: dt.datetime
    moaas_score: int
    dissociation: str
    respiratory_concern: bool
    entered_in_error: bool
    entered_in_error_reason: str
    entered_in_error_by: str | None
    entered_in_error_at: dt.datetime | None


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
        return list(obj.vitals.select_related("entered_in_error_by").order_by("measured_at", "id"))

    @staticmethod
    def resolve_doses(obj: Any) -> list[Any]:
        return list(obj.doses.select_related("entered_in_error_by").order_by("started_at", "id"))

    @staticmethod
    def resolve_observations(obj: Any) -> list[Any]:
        return list(obj.observations.select_related("entered_in_error_by").order_by("observed_at", "id"))


class AdverseEventOut(_CorrectionOut):
    public_id: uuid.UUID
    occurred_at: dt.datetime
    description: str
    severity: str
    action_taken: str
    entered_in_error: bool
    entered_in_error_reason: str
    entered_in_error_by: str | None
    entered_in_error_at: dt.datetime | None


class AppointmentOut(Schema):
    """One appointment of a plan (staff view: with the planned dose and its rule)."""

    public_id: uuid.UUID
    number: int
    phase: str
    week: int
    starts_at: dt.datetime
    duration_min: int
    dose_mg: float | None
    dose_rule: str
    note: str
    status: str
    session_id: uuid.UUID | None = None

    @staticmethod
    def resolve_session_id(obj: Any) -> uuid.UUID | None:
        session = getattr(obj, "session", None)
        return session.public_id if session is not None else None


class MyAppointmentOut(Schema):
    """One of the patient's own appointments: when, how long and whether it stands (no clinical detail)."""

    public_id: uuid.UUID
    number: int
    starts_at: dt.datetime
    duration_min: int
    status: str


class PlanOut(Schema):
    public_id: uuid.UUID
    patient_public_id: uuid.UUID
    protocol_id: str
    preset_id: str
    route: str
    status: str
    weight_kg: float | None
    mg_per_kg: float | None
    dose_mg: float | None
    devices: int | None
    dose_rule: str
    review_after_session: int
    review_not_before: dt.datetime
    review_due_before: dt.datetime | None
    maintenance_policy: str
    notes: str
    findings: list[dict[str, str]]
    gate_override_reason: str
    created_at: dt.datetime
    # An ended plan ("status": "ended"): completed or discontinued, when, by whom and why; empty (and
    # null) on an active plan and where the plan did not record them.
    ended_as: str
    ended_at: dt.datetime | None
    ended_by: str | None
    end_reason: str
    appointments: list[AppointmentOut]

    @staticmethod
    def resolve_patient_public_id(obj: Any) -> uuid.UUID:
        return obj.patient.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_ended_by(obj: Any) -> str | None:
        return obj.ended_by.full_name if obj.ended_by is not None else None

    @staticmethod
    def resolve_appointments(obj: Any) -> list[Any]:
        return list(obj.appointments.select_related("session").order_by("starts_at", "number"))


# Request bodies: times carry a zone (ISO 8601 with an offset); the services check every range and rule.


class PlanIn(Schema):
    """A new plan, laid out by the core in the clinic's zone (a prescriber's decision)."""

    protocol_id: str = Field(max_length=40, description="A protocol id, e.g. iv_ketamine or esketamine")
    preset_id: str | None = Field(None, max_length=40, description="A schedule preset; null: the protocol's")
    first_session_at: AwareDatetime
    weight_kg: float | None = Field(None, description="Needed for a weight-based (mg/kg) protocol")
    weight_measured_on: dt.date | None = None
    mg_per_kg: float | None = Field(None, description="null: the protocol's standard")
    weekdays: list[int] | None = Field(None, max_length=7, description="0 = Monday … 6 = Sunday")
    session_count: int | None = None
    maintenance_policy: Literal["decide_at_review", "weekly", "every_2_weeks", "individual", "none"] = (
        "decide_at_review"
    )
    notes: str = Field("", max_length=1000)
    gate_override_reason: str = Field(
        "", max_length=1000, description="A prescriber's reason to plan with a step missing"
    )
    hepatic_impairment: Literal["none", "mild", "moderate", "severe"] = "none"
    finding_reason: str = Field(
        "", max_length=1000, description="A prescriber's reason to go ahead despite findings"
    )


class PlanEndIn(Schema):
    """How the course ended, and why (a prescriber's decision; the booked sessions not yet held are
    cancelled with the plan)."""

    ended_as: Literal["completed", "discontinued"] = Field(
        description="completed: the course went as planned (or ended at its review); discontinued: it "
        "stopped before that"
    )
    end_reason: str = Field(
        "",
        max_length=1000,
        description="Why, when it is known; optional, also for a discontinued course (a patient who stops "
        "coming often gives no reason)",
    )


class BookingIn(Schema):
    starts_at: AwareDatetime
    book_anyway: bool = Field(
        False, description="Confirms a time less than 24 hours from another session of the patient (else 409)"
    )


class CheckInIn(Schema):
    weight_kg: float
    fasting_confirmed: bool = False
    ride_home_confirmed: bool = False
    pregnancy_reported: bool = Field(False, description="Holds the dose for a prescriber")
    medication_changes: str = Field("", max_length=1000)
    checked_in_at: AwareDatetime | None = None


class HoldOverrideIn(Schema):
    reason: str = Field(max_length=1000, description="Why dosing goes ahead despite the hold")


class DoseIn(Schema):
    dose_mg: float
    lot_number: str = Field(max_length=40)
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = Field(
        None,
        description="IV: null while the infusion runs. A nasal device, or an oral, sublingual or IM dose, is "
        "given at one time: null records it ended when it started",
    )
    out_of_bounds_reason: str = Field("", max_length=1000)
    gate_override_read: bool = Field(
        False,
        description="The recorder has read the prescriber's override: needed for the first dose on a plan "
        "made with a step still missing, or less than 24 h after another dose under an override of that "
        "hold, unless the recorder wrote the override",
    )


class EndDosingIn(Schema):
    ended_at: AwareDatetime | None = None
    reason: str = Field("", max_length=1000)


class ObservationIn(Schema):
    moaas_score: int = Field(ge=0, le=5, description="MOAA/S 0–5")
    dissociation: str = Field(max_length=20)
    respiratory_concern: bool = False
    note: str = Field("", max_length=500)
    observed_at: AwareDatetime | None = None


class AdverseEventIn(Schema):
    description: str = Field(max_length=1000)
    severity: str = Field(max_length=10)
    action_taken: str = Field("", max_length=1000)
    occurred_at: AwareDatetime | None = None


class EnteredInErrorIn(Schema):
    kind: Literal["vital", "observation", "adverse_event"]
    entry_id: uuid.UUID
    reason: str = Field(
        min_length=1,
        max_length=ENTERED_IN_ERROR_REASON_MAX,
        description="Why the entry is wrong (required; stored with who marked it and when)",
    )


class DischargeIn(Schema):
    ride_present: bool = False
    instructions_given: bool = False
    override_reason: str = Field("", max_length=1000, description="A prescriber's override of unmet criteria")


class CancelIn(Schema):
    reason: str = Field(max_length=300)


class ErrorOut(Schema):
    detail: str
    errors: list[dict[str, str]] = []


class PreDoseSkipIn(Schema):
    reason: str = Field(max_length=300, description="Why the questionnaire was not done (required)")


class PreDoseAnswersIn(Schema):
    answers: dict[str, int] = Field(
        default_factory=dict,
        max_length=100,
        description='Item id to answer value, as the instrument defines them (e.g. {"phq9.q1": 0}); a form '
        "body carries them as top-level fields",
    )
    idempotency_key: str = Field(
        "", max_length=64, description="A retry with the same key returns the first response (or the header)"
    )


class PreDoseQuestionnaireOut(Schema):
    """One questionnaire due before the session and where it stands: answered, skipped or still due."""

    assignment_id: uuid.UUID
    instrument_id: str
    instrument_name: str
    state: Literal["due", "completed", "skipped", "cancelled"]
    at: dt.datetime | None = Field(None, description="When it was completed or skipped")
    where: str = Field("", description='"phone" or "chair" (completed only)')
    by: str | None = Field(None, description="The staff member who entered or skipped it at the chair")
    score: float | None = None
    band: str = ""
    suicide_risk: bool = Field(False, description="The answers carry a suicide-risk item alert")
    skip_reason: str = ""

    @staticmethod
    def from_item(item: Any) -> PreDoseQuestionnaireOut:
        response = item.response
        return PreDoseQuestionnaireOut(
            assignment_id=item.assignment.public_id,
            instrument_id=item.assignment.instrument_id,
            instrument_name=item.instrument.title,
            state=item.status,
            at=item.at,
            where=item.where,
            by=str(item.by) if item.by is not None else None,
            score=response.total if response is not None else None,
            band=response.band if response is not None else "",
            suicide_risk=bool(item.crisis_alerts),
            skip_reason=item.reason,
        )
