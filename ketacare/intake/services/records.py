"""Writes for intake and screening: one transaction each, domain exceptions naming the field.

Bad input raises :class:`IntakeInputError` (a ``FieldError``: the field and what it allows) before
anything is written, or :class:`IntakeInputsRefused` holding one per refused field when several are
wrong, so a form shows every mistake at once; each write's ``check_*`` function runs the same checks
without writing (the views call it too when the form itself refused a field). An action the user's
role does not allow raises :class:`IntakeNotAllowedError` (a ``NotPermitted``). Neither is an HTTP error: views put them on the form, the API answers them
through its one handler (422 and 403).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.core import instruments as core_instruments
from ketacare.core.course import WEIGHT_KG_RANGE
from ketacare.core.display import instrument_short, item_name
from ketacare.intake.models import (
    HEIGHT_CM_RANGE,
    BaselineScore,
    Consent,
    EntryStatus,
    Indication,
    Intake,
    MedicationList,
    ScreeningAssessment,
    VersionStatus,
    WeightMeasurement,
)
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.patients.models import Patient

# Input sizes (not clinical limits): enough for any real list, small enough to refuse junk.
MAX_MEDICATIONS = 40
MAX_MEDICATION_CHARS = 200
MAX_TEXT_CHARS = 4000
MAX_NOTE_CHARS = 2000
MAX_ERROR_REASON_CHARS = 500
# A recorded time may lie a little ahead of the server clock (a tablet's clock drifts); beyond that it
# is a typing error.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

_M = TypeVar("_M", Intake, MedicationList, ScreeningAssessment)
_T = TypeVar("_T")


class IntakeError(FieldError):
    """Base of the intake domain errors; ``field`` names the offending input ("" for none)."""


class IntakeInputError(IntakeError):
    """The input is out of range or not one of the allowed values; nothing was written."""


class IntakeNotAllowedError(IntakeError, NotPermitted):
    """The user's role does not allow this action (e.g. a nurse deciding eligibility)."""


class IntakeInputsRefused(IntakeInputError):
    """Several inputs refused at once: ``errors`` holds each, in the order of the form. The error itself
    is the first; ``unmet`` the others, which the API lists after it (``ketacare.api.refused``)."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = list(errors)
        self.unmet = [(e.field, e.message) for e in errors[1:]]


def refusals(error: FieldError) -> list[FieldError]:
    """Every refusal an error carries: the several of :class:`IntakeInputsRefused`, or the error itself."""
    return list(getattr(error, "errors", None) or [error])


class _Checks:
    """Runs each input's check and keeps every refusal, so all of them are reported together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, check: Callable[[], _T]) -> _T | None:
        """The check's value, or None when it refused its input (kept for :meth:`raise_any`)."""
        try:
            return check()
        except IntakeInputError as exc:
            self.errors.extend(refusals(exc))
            return None

    def refuse(self, field: str, message: str) -> None:
        self.errors.append(IntakeInputError(field, message))

    def failed(self, field: str) -> bool:
        return any(error.field == field for error in self.errors)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise IntakeInputsRefused(self.errors)


# --- helpers ----------------------------------------------------------------------------------------------


def clinic_zone(patient: Patient) -> zoneinfo.ZoneInfo:
    """The patient's clinic's time zone: times in messages are said in it."""
    return zoneinfo.ZoneInfo(patient.clinic.time_zone)


def clinic_time_words(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A time as staff read it in clinic time: "Fri 1 Jan 2027 10:00"."""
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def date_words(value: dt.date) -> str:
    """A calendar date in words: "Mon 7 Dec 2026"."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def _aware_past(
    field: str, value: dt.datetime | None, *, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        raise IntakeInputError(field, "must include a time zone")
    if value > now + FUTURE_TOLERANCE:
        try:
            shown = clinic_time_words(value, zone)
        except OverflowError:
            # Year 1 or 9999 shifted into the clinic's zone: far outside any clinic day either way.
            raise IntakeInputError(field, f"{field} is out of range; enter a time at or before now") from None
        raise IntakeInputError(
            field,
            f"{shown} is in the future; enter a time at or before now "
            f"({clinic_time_words(now, zone)}, clinic time)",
        )
    return value


def check_time(patient: Patient, field: str, value: dt.datetime | None) -> dt.datetime:
    """A recorded time (None: now) checked as every write checks it: aware, not in the future."""
    return _aware_past(field, value, now=timezone.now(), zone=clinic_zone(patient))


def _no_nul(field: str, value: str) -> None:
    # PostgreSQL cannot store NUL in text or JSON: refuse it as input instead of failing on write.
    if "\x00" in value:
        raise IntakeInputError(field, "contains a NUL character, which is not allowed")


def _text(field: str, value: str, *, max_chars: int, required: bool = False) -> str:
    value = (value or "").strip()
    _no_nul(field, value)
    if required and not value:
        raise IntakeInputError(field, f"{field} is required")
    if len(value) > max_chars:
        raise IntakeInputError(
            field, f"{field} is {len(value)} characters long; at most {max_chars} are allowed"
        )
    return value


def _decimal_in_range(field: str, value: Any, bounds: tuple[float, float], unit: str) -> Decimal:
    low, high = bounds
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise IntakeInputError(field, f"{value!r} is not a number; allowed {low:g}–{high:g} {unit}") from None
    if not number.is_finite() or not Decimal(str(low)) <= number <= Decimal(str(high)):
        raise IntakeInputError(field, f"{value} is outside the allowed range {low:g}–{high:g} {unit}")
    return number


def _supersede(model: type[_M], patient: Patient) -> None:
    # Lock the patient row first so two concurrent recordings queue instead of both finding the same
    # current row and one failing on the one-current-per-patient constraint (PostgreSQL).
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    model.objects.filter(patient=patient, status=VersionStatus.CURRENT).update(
        status=VersionStatus.SUPERSEDED
    )


def _owned(patient: Patient) -> dict[str, Any]:
    return {"clinic_id": patient.clinic_id, "patient": patient}


# --- demographics and weight --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IntakeInput:
    sex: str
    height_cm: Decimal | None
    indications: list[str]
    indication_other: str
    previous_treatments: str
    recorded_at: dt.datetime


def check_intake(
    *,
    patient: Patient,
    sex: str | None,
    height_cm: float | Decimal | str | None,
    indications: Sequence[str] | None,
    indication_other: str | None = "",
    previous_treatments: str | None = "",
    recorded_at: dt.datetime | None = None,
) -> _IntakeInput:
    """The demographics as they would be stored; every refused field at once (nothing is written)."""
    now = timezone.now()
    checks = _Checks()
    if sex not in Intake.Sex.values:
        checks.refuse("sex", f"{sex!r} is not allowed; allowed: {', '.join(Intake.Sex.values)}")
    height = checks.run(
        lambda: (
            None
            if height_cm in (None, "")
            else _decimal_in_range("height_cm", height_cm, HEIGHT_CM_RANGE, "cm")
        )
    )
    chosen = list(indications or [])
    unknown = [value for value in chosen if value not in Indication.values]
    if unknown:
        checks.refuse(
            "indications",
            f"{', '.join(map(repr, unknown))} not allowed; allowed: {', '.join(Indication.values)}",
        )
    other = checks.run(lambda: _text("indication_other", indication_other or "", max_chars=200))
    if Indication.OTHER in chosen and not other and not checks.failed("indication_other"):
        checks.refuse("indication_other", "indication_other is required when the indication is 'other'")
    history = checks.run(
        lambda: _text("previous_treatments", previous_treatments or "", max_chars=MAX_TEXT_CHARS)
    )
    when = checks.run(lambda: _aware_past("recorded_at", recorded_at, now=now, zone=clinic_zone(patient)))
    checks.raise_any()
    return _IntakeInput(
        str(sex), height, list(dict.fromkeys(chosen)), other or "", history or "", cast(dt.datetime, when)
    )


@transaction.atomic
def record_intake(
    *,
    patient: Patient,
    user: User,
    sex: str,
    height_cm: float | Decimal | str | None,
    indications: Sequence[str],
    indication_other: str = "",
    previous_treatments: str = "",
    recorded_at: dt.datetime | None = None,
    japanese_ancestry: bool = False,
) -> Intake:
    """Record demographics and history; the previous intake becomes superseded."""
    checked = check_intake(
        patient=patient,
        sex=sex,
        height_cm=height_cm,
        indications=indications,
        indication_other=indication_other,
        previous_treatments=previous_treatments,
        recorded_at=recorded_at,
    )
    _supersede(Intake, patient)
    return Intake.objects.create(
        **_owned(patient),
        created_by=user,
        recorded_at=checked.recorded_at,
        sex=checked.sex,
        height_cm=checked.height_cm,
        indications=checked.indications,
        indication_other=checked.indication_other,
        previous_treatments=checked.previous_treatments,
        japanese_ancestry=bool(japanese_ancestry),
    )


def check_weight(
    *, patient: Patient, weight_kg: float | Decimal | str | None, measured_at: dt.datetime | None = None
) -> tuple[Decimal, dt.datetime]:
    """The weight and its time as they would be stored; both refusals at once (nothing is written)."""
    now = timezone.now()
    checks = _Checks()
    weight = checks.run(lambda: _decimal_in_range("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg"))
    when = checks.run(lambda: _aware_past("measured_at", measured_at, now=now, zone=clinic_zone(patient)))
    checks.raise_any()
    return cast(Decimal, weight), cast(dt.datetime, when)


@transaction.atomic
def record_weight(
    *,
    patient: Patient,
    user: User,
    weight_kg: float | Decimal | str,
    measured_at: dt.datetime | None = None,
) -> WeightMeasurement:
    """Record one body weight; the range is the core's plausibility range (``WEIGHT_KG_RANGE``)."""
    weight, when = check_weight(patient=patient, weight_kg=weight_kg, measured_at=measured_at)
    return WeightMeasurement.objects.create(
        **_owned(patient), created_by=user, weight_kg=weight, measured_at=when
    )


BASELINE_ALERT_SOURCES = {
    # (instrument id, core alert code) -> the clinic alert it raises (docs/security.md S12).
    ("phq9", "suicide_risk"): Alert.Source.PHQ9_ITEM9,
}


@transaction.atomic
def record_baseline_score(
    *,
    patient: Patient,
    user: User,
    instrument_id: str,
    answers: Mapping[str, int] | Sequence[int],
    completed_at: dt.datetime | None = None,
) -> BaselineScore:
    """Score a baseline questionnaire with the core and store answers, version and score.

    A positive PHQ-9 item 9 raises its clinic alert in the same transaction (docs/security.md S12).
    """
    now = timezone.now()
    allowed = [instrument.id for instrument in core_instruments.instruments()]
    if instrument_id not in allowed:
        raise IntakeInputError(
            "instrument_id", f"{instrument_id!r} is not allowed; allowed: {', '.join(allowed)}"
        )
    checks = _Checks()

    def scored() -> Any:
        try:
            return core_instruments.score(instrument_id, answers)
        except core_instruments.InvalidAnswersError as exc:
            raise IntakeInputError("answers", str(exc)) from None

    result: Any = checks.run(scored)
    when = checks.run(lambda: _aware_past("completed_at", completed_at, now=now, zone=clinic_zone(patient)))
    checks.raise_any()
    row = BaselineScore.objects.create(
        **_owned(patient),
        created_by=user,
        instrument_id=result.instrument_id,
        instrument_version=result.version,
        completed_at=cast(dt.datetime, when),
        answers=dict(result.answers),
        total=Decimal(str(result.total)),
        band=result.band or "",
        subscores={key: float(value) for key, value in result.subscores.items()},
        item_alerts=[
            {"code": a.code, "item_id": a.item_id, "value": a.value, "message": a.message, "level": a.level}
            for a in result.alerts
        ],
    )
    for alert in result.alerts:
        source = BASELINE_ALERT_SOURCES.get((result.instrument_id, alert.code))
        if source is not None:
            raise_alert(
                patient=patient,
                source=source,
                # The same severity the questionnaires app gives a patient-submitted positive item 9.
                severity=Alert.Severity.URGENT,
                # Named as the other suicide-risk alerts are (questionnaires), in words, never ids.
                title=f"Baseline {instrument_short(result.instrument_id)}: {item_name(alert.item_id)} scored "
                f"{alert.value:g}: suicide-risk item"[:200],
                detail=alert.message,
                dedupe_key=f"baseline:{row.public_id}:{alert.code}",
            )
    return row


# --- corrections --------------------------------------------------------------------------------------------

CORRECTABLE: dict[str, type[Any]] = {
    "intake": Intake,
    "weight": WeightMeasurement,
    "medications": MedicationList,
    "screening": ScreeningAssessment,
    "consent": Consent,
    "baseline": BaselineScore,
}


@transaction.atomic
def mark_entered_in_error(*, record: Any, user: User, reason: str) -> Any:
    """Mark an intake record entered in error (kept and shown struck through, never deleted)."""
    text = _text("reason", reason, max_chars=MAX_ERROR_REASON_CHARS, required=True)
    locked = type(record).objects.select_for_update().get(pk=record.pk)
    if locked.status == EntryStatus.ENTERED_IN_ERROR:
        raise IntakeInputError("record", "is already marked entered in error")
    locked.status = EntryStatus.ENTERED_IN_ERROR
    locked.error_reason = text
    locked.error_marked_at = timezone.now()
    locked.error_marked_by = user
    locked.save(update_fields=["status", "error_reason", "error_marked_at", "error_marked_by"])
    return locked
