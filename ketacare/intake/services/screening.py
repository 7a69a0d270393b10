"""Writes for medicines and screening: the medication list, the screening checklist and its result.

Part of the intake services (``records`` holds the shared checks and the other records); the same
exceptions and the same rule: every refused input is named at once and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.core import knowledge as core_knowledge
from ketacare.core.screening import Reason, ScreeningError, ScreeningResult, match_medication, screen
from ketacare.intake.models import (
    MedicationList,
    MedicineClassification,
    ScreeningAssessment,
    VersionStatus,
)
from ketacare.intake.services.records import (
    MAX_MEDICATION_CHARS,
    MAX_MEDICATIONS,
    IntakeInputError,
    _aware_past,
    _Checks,
    _no_nul,
    _owned,
    _supersede,
    clinic_time_words,
    clinic_zone,
    date_words,
)
from ketacare.patients.models import Patient

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
            "no medication list is recorded: in Current medications, list the patient's medicines or tick "
            f"“{NO_MEDICINES_LABEL}”, and press “Save medications” before running the screening (a tick "
            "there counts once it is saved)",
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
