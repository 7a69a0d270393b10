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
from ketacare.core import knowledge as core_knowledge
from ketacare.core.course import WEIGHT_KG_RANGE
from ketacare.core.display import instrument_short, item_name
from ketacare.core.screening import Reason, ScreeningError, ScreeningResult, match_medication, screen
from ketacare.intake.models import (
    HEIGHT_CM_RANGE,
    BaselineScore,
    Consent,
    EntryStatus,
    Indication,
    Intake,
    MedicationList,
    MedicineClassification,
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


# --- medications and screening ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScreeningInput:
    medications: list[str]
    drug_classes: list[str]


def _medication_texts(medications: Sequence[str]) -> list[str]:
    texts = [text.strip() for text in medications if text and text.strip()]
    if len(texts) > MAX_MEDICATIONS:
        raise IntakeInputError("medications", f"{len(texts)} entries; at most {MAX_MEDICATIONS} are allowed")
    for text in texts:
        _no_nul("medications", text)
        if len(text) > MAX_MEDICATION_CHARS:
            raise IntakeInputError(
                "medications", f"an entry is {len(text)} characters long; at most {MAX_MEDICATION_CHARS}"
            )
    return list(dict.fromkeys(texts))


def _class_ids(drug_classes: Sequence[str]) -> list[str]:
    allowed = [interaction.id for interaction in core_knowledge.interactions()]
    unknown = [value for value in drug_classes if value not in allowed]
    if unknown:
        raise IntakeInputError(
            "drug_classes", f"{', '.join(map(repr, unknown))} not allowed; allowed: {', '.join(allowed)}"
        )
    return list(dict.fromkeys(drug_classes))


def _clean_medications(medications: Sequence[str], drug_classes: Sequence[str]) -> _ScreeningInput:
    checks = _Checks()
    texts = checks.run(lambda: _medication_texts(medications))
    classes = checks.run(lambda: _class_ids(drug_classes))
    checks.raise_any()
    return _ScreeningInput(texts or [], classes or [])


def _ticked_class_text(class_id: str) -> str:
    """A name the core recognises as this class and no other (the core screens free text only)."""
    interaction = core_knowledge.get_interaction(class_id)
    for name in interaction.names:
        if [found.id for found in match_medication(name)] == [class_id]:
            return name
    return interaction.names[0]


def clinic_classifications(clinic_id: int | None) -> dict[str, str]:
    """The clinic's prescriber answers for medicines KetaCare does not recognise (name -> class id)."""
    if clinic_id is None:
        return {}
    return dict(MedicineClassification.objects.filter(clinic_id=clinic_id).values_list("name", "class_id"))


def run_screening(
    *,
    conditions: Sequence[str],
    medications: Sequence[str],
    drug_classes: Sequence[str],
    clinic_id: int | None = None,
    date_of_birth: dt.date | None = None,
    screened_on: dt.date | None = None,
) -> tuple[ScreeningResult, list[dict[str, Any]]]:
    """Call the core's ``screen`` and return its result with the reasons as JSON-ready dicts.

    With ``date_of_birth`` and ``screened_on`` (the clinic's calendar day of the screening) the core
    screens the patient's age too; the medication flags leave them out (they are about medicines only).

    A ticked class that the free text does not already name is passed to the core as one of the
    class's recognised names, then shown back as "<class> (class ticked)" so no medicine the patient
    does not take appears in the reasons. Eligibility is always the core's.
    """
    already = {found.id for text in medications for found in match_medication(text)}
    synthetic: dict[str, str] = {}
    for class_id in drug_classes:
        if class_id not in already:
            synthetic[_ticked_class_text(class_id)] = (
                f"{core_knowledge.get_interaction(class_id).name} (class ticked)"
            )
    result = screen(
        list(conditions),
        [*medications, *synthetic],
        clinic_classifications=clinic_classifications(clinic_id),
        date_of_birth=date_of_birth,
        screened_on=screened_on,
    )
    return result, [_reason_json(reason, synthetic) for reason in result.reasons]


def _reason_json(reason: Reason, synthetic: Mapping[str, str]) -> dict[str, Any]:
    return {
        "kind": reason.kind,
        "id": reason.id,
        "name": reason.name,
        "level": reason.level,
        "detail": reason.detail,
        "evidence": str(reason.evidence),
        "sources": list(reason.sources),
        "medications": [synthetic.get(text, text) for text in reason.medications],
    }


def preview_medication_flags(
    *, medications: Sequence[str], drug_classes: Sequence[str], clinic_id: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The interaction flags and unrecognised entries for a medication list, writing nothing (live view)."""
    cleaned = _clean_medications(medications, drug_classes)
    result, reasons = run_screening(
        conditions=[], medications=cleaned.medications, drug_classes=cleaned.drug_classes, clinic_id=clinic_id
    )
    return reasons, list(result.unrecognised_medications)


# The tick that says the patient takes no medicines, as the form labels it and the refusals name it.
NO_MEDICINES_LABEL = "Takes no medicines"


@dataclass(frozen=True)
class _MedicationsInput:
    medications: list[str]
    drug_classes: list[str]
    no_medicines: bool
    recorded_at: dt.datetime


def check_medications(
    *,
    patient: Patient,
    medications: Sequence[str] | None,
    drug_classes: Sequence[str] | None = (),
    no_medicines: bool | None = False,
    recorded_at: dt.datetime | None = None,
) -> _MedicationsInput:
    """The medication list as it would be stored; every refused field at once (nothing is written).

    A list names the patient's medicines or says they take none: an empty list that says neither is
    a form left blank, and a screening could not tell it from a patient on no medicines.
    """
    now = timezone.now()
    checks = _Checks()
    texts = checks.run(lambda: _medication_texts(medications or []))
    classes = checks.run(lambda: _class_ids(drug_classes or []))
    if not checks.failed("medications") and not checks.failed("drug_classes"):
        if no_medicines and (texts or classes):
            checks.refuse(
                "no_medicines",
                f"“{NO_MEDICINES_LABEL}” is ticked but the list names medicines: untick it, or clear the list",
            )
        elif not no_medicines and not (texts or classes):
            checks.refuse(
                "medications",
                f"medications is empty: write the patient's current medicines, one per line, or tick "
                f"“{NO_MEDICINES_LABEL}” when they take none",
            )
    when = checks.run(lambda: _aware_past("recorded_at", recorded_at, now=now, zone=clinic_zone(patient)))
    checks.raise_any()
    return _MedicationsInput(texts or [], classes or [], bool(no_medicines), cast(dt.datetime, when))


@transaction.atomic
def record_medications(
    *,
    patient: Patient,
    user: User,
    medications: Sequence[str],
    drug_classes: Sequence[str] = (),
    no_medicines: bool = False,
    recorded_at: dt.datetime | None = None,
) -> MedicationList:
    """Record the patient's current medicines with the core's interaction flags; the previous list is superseded.

    ``no_medicines`` records that the patient takes none (the list is then empty); an empty list
    without it is refused (:func:`check_medications`).
    """
    checked = check_medications(
        patient=patient,
        medications=medications,
        drug_classes=drug_classes,
        no_medicines=no_medicines,
        recorded_at=recorded_at,
    )
    result, reasons = run_screening(
        conditions=[],
        medications=checked.medications,
        drug_classes=checked.drug_classes,
        clinic_id=patient.clinic_id,
    )
    _supersede(MedicationList, patient)
    return MedicationList.objects.create(
        **_owned(patient),
        created_by=user,
        recorded_at=checked.recorded_at,
        medications=checked.medications,
        drug_classes=checked.drug_classes,
        no_medicines=checked.no_medicines,
        flags=reasons,
        unrecognised_medications=list(result.unrecognised_medications),
    )


def checklist_ids() -> list[str]:
    """The screening checklist: every condition id the core knows, contraindications first."""
    return [condition.id for condition in core_knowledge.conditions()]


@dataclass(frozen=True)
class _ScreeningChecked:
    conditions_present: list[str]
    assessed_at: dt.datetime
    screened_on: dt.date
    medication_list: MedicationList


def _medication_list_for_screening(patient: Patient) -> MedicationList:
    """The current medication list, when it says what the patient takes (or that they take none)."""
    current = MedicationList.objects.filter(patient=patient, status=VersionStatus.CURRENT).first()
    if current is None:
        raise IntakeInputError(
            "medications",
            "no medication list is recorded: save the patient's current medicines (Current medications), "
            f"or tick “{NO_MEDICINES_LABEL}” and save, before running the screening",
        )
    if not (current.medications or current.drug_classes or current.no_medicines):
        # A list saved empty before KetaCare asked for the tick: it does not say the patient takes none.
        raise IntakeInputError(
            "medications",
            f"the medication list recorded {clinic_time_words(current.recorded_at, clinic_zone(patient))} "
            f"is empty and not marked “{NO_MEDICINES_LABEL}”: save the patient's current medicines, or "
            "tick it and save, before running the screening",
        )
    return current


def check_screening(
    *,
    patient: Patient,
    conditions_present: Sequence[str] | None,
    all_items_asked: bool | None,
    assessed_at: dt.datetime | None = None,
) -> _ScreeningChecked:
    """What a screening would use; every refusal at once (nothing is written).

    A screening needs the screener's word that every checklist item was asked (``all_items_asked``)
    and a medication list that names the medicines or says there are none: without them an unticked
    item or an empty list cannot be told from a question never asked.
    """
    now = timezone.now()
    checks = _Checks()
    allowed = checklist_ids()
    unknown = [value for value in conditions_present or [] if value not in allowed]
    if unknown:
        checks.refuse(
            "conditions", f"{', '.join(map(repr, unknown))} not allowed; allowed: {', '.join(allowed)}"
        )
    if not all_items_asked:
        checks.refuse(
            "all_items_asked",
            "all_items_asked is required: ask the patient about every item on the checklist, then tick to "
            "confirm; an "
            "unticked item is recorded as the patient's “no”",
        )
    medication_list = checks.run(lambda: _medication_list_for_screening(patient))
    when = checks.run(lambda: _aware_past("assessed_at", assessed_at, now=now, zone=clinic_zone(patient)))
    screened_on = when.astimezone(clinic_zone(patient)).date() if when is not None else None
    if screened_on is not None and screened_on < patient.date_of_birth:
        checks.refuse(
            "assessed_at",
            f"{date_words(screened_on)} is before the patient's date of birth "
            f"({date_words(patient.date_of_birth)}); enter the day the screening was done",
        )
    checks.raise_any()
    return _ScreeningChecked(
        list(dict.fromkeys(conditions_present or [])),
        cast(dt.datetime, when),
        cast(dt.date, screened_on),
        cast(MedicationList, medication_list),
    )


@transaction.atomic
def assess_screening(
    *,
    patient: Patient,
    user: User,
    conditions_present: Sequence[str],
    all_items_asked: bool,
    assessed_at: dt.datetime | None = None,
) -> ScreeningAssessment:
    """Screen the ticked conditions, the current medication list and the age with the core; store its result.

    Every checklist condition is stored as answered yes or no, with the screener's ``all_items_asked``
    (required: see :func:`check_screening`). The previous assessment (and its decision) becomes
    superseded: a new screening needs a new decision.
    """
    checked = check_screening(
        patient=patient,
        conditions_present=conditions_present,
        all_items_asked=all_items_asked,
        assessed_at=assessed_at,
    )
    medication_list = checked.medication_list
    medications = list(medication_list.medications)
    drug_classes = list(medication_list.drug_classes)
    present = checked.conditions_present
    try:
        result, reasons = run_screening(
            conditions=present,
            medications=medications,
            drug_classes=drug_classes,
            clinic_id=patient.clinic_id,
            # The age on the clinic's calendar day of the screening: a minor is never screened "eligible".
            date_of_birth=patient.date_of_birth,
            screened_on=checked.screened_on,
        )
    except ScreeningError as exc:
        # Only the age can be refused here (the checklist and medicines were checked above).
        raise IntakeInputError(
            "date_of_birth", f"{exc}; correct the date of birth on the patient's record"
        ) from None
    _supersede(ScreeningAssessment, patient)
    return ScreeningAssessment.objects.create(
        **_owned(patient),
        created_by=user,
        assessed_at=checked.assessed_at,
        answers={condition_id: condition_id in present for condition_id in checklist_ids()},
        all_items_asked=True,
        medications=medications,
        drug_classes=drug_classes,
        no_medicines=medication_list.no_medicines,
        eligibility=result.eligibility,
        reasons=reasons,
        unrecognised_medications=list(result.unrecognised_medications),
        rems_form_items=sorted(result.rems_form_items),
    )


# The decisions a prescriber may record for each computed result: never more permissive than the
# core (a label contraindication cannot be decided away), always allowed to be stricter.
_ALLOWED_DECISIONS: dict[str, tuple[str, ...]] = {
    "eligible": ("eligible", "eligible_with_precautions", "not_eligible"),
    "eligible_with_precautions": ("eligible_with_precautions", "not_eligible"),
    "not_eligible": ("not_eligible",),
}


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
