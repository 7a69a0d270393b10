"""Prescriber decisions and consent: eligibility decisions (and their audited changes), signed consents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import is_prescriber as is_prescriber_at
from ketacare.core import protocols as core_protocols
from ketacare.core.screening import (
    MAX_CLASSIFIED_NAME_CHARS,
    ScreeningError,
    age_years_on,
    check_clinic_classifications,
    normalise_medication_name,
)
from ketacare.intake.models import (
    Consent,
    EntryStatus,
    MedicationList,
    MedicineClassification,
    ScreeningAssessment,
    VersionStatus,
)

# Input sizes (not clinical limits): enough for any real list, small enough to refuse junk.
from ketacare.intake.services.records import (
    MAX_NOTE_CHARS,
    IntakeInputError,
    IntakeNotAllowedError,
    _Checks,
    _owned,
    _text,
    clinic_time_words,
    clinic_zone,
    date_words,
)
from ketacare.intake.services.screening import (
    _ALLOWED_DECISIONS,
    record_medications,
)
from ketacare.lib.errors import ConflictError, NotPermitted
from ketacare.patients.models import Patient

# The refusal when the recorder has not stated they saw the signed form (the intake form's tick).
SIGNED_FORM_SEEN_REQUIRED = (
    "Required: tick this once you have seen the signed consent form and it is filed in the clinic's "
    "records. Nothing was recorded."
)


def allowed_decisions(eligibility: str) -> tuple[str, ...]:
    """The decisions a prescriber may record on a screening with this computed result."""
    return _ALLOWED_DECISIONS[eligibility]


def _eligibility_words(value: str) -> str:
    labels = dict(ScreeningAssessment.Eligibility.choices)
    return str(labels.get(value, value))


def _decision_refused(decision: str, eligibility: str) -> IntakeInputError:
    allowed = _ALLOWED_DECISIONS[eligibility]
    return IntakeInputError(
        "decision",
        f"{_eligibility_words(decision)!r} is not allowed for a screening that found "
        f"{_eligibility_words(eligibility)!r}: a decision may be stricter than the screening, never less "
        f"strict; allowed: {', '.join(_eligibility_words(value) for value in allowed)}",
    )


def _decision_note(decision: str, note: str) -> str:
    text = _text("note", note, max_chars=MAX_NOTE_CHARS)
    if decision == "eligible_with_precautions" and not text:
        raise IntakeInputError("note", "note is required: say how the precautions will be handled")
    return text


@transaction.atomic
def record_eligibility_decision(
    *,
    assessment: ScreeningAssessment,
    user: User,
    decision: str,
    note: str = "",
) -> ScreeningAssessment:
    """Record the deciding prescriber's eligibility decision on the current screening.

    Only a prescriber at the patient's clinic may decide (IntakeNotAllowedError otherwise). The
    decision may be stricter than the core's result but never more permissive; deciding "eligible
    with precautions" needs a note saying how the precautions are handled.
    """
    if not is_prescriber_at(user, assessment.clinic_id):
        raise IntakeNotAllowedError(
            "decided_by", "only a prescriber at the patient's clinic may record the eligibility decision"
        )
    # Re-read under the transaction so two decisions cannot both land.
    locked = ScreeningAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != VersionStatus.CURRENT:
        raise IntakeInputError("assessment", f"this screening is {locked.status}; decide on the current one")
    if locked.decision:
        raise IntakeInputError("assessment", "already decided; record a new screening to change the decision")
    checks = _Checks()
    if decision not in _ALLOWED_DECISIONS[locked.eligibility]:
        checks.errors.append(_decision_refused(decision, locked.eligibility))
    text = checks.run(lambda: _decision_note(decision, note))
    checks.raise_any()
    locked.decision = decision
    locked.decision_note = text or ""
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    return locked


@transaction.atomic
def change_eligibility_decision(
    *,
    assessment: ScreeningAssessment,
    user: User,
    decision: str,
    reason: str,
    note: str = "",
) -> ScreeningAssessment:
    """Change the decision already recorded on the current screening (a prescriber, with a reason).

    The earlier decision is kept in ``decision_history`` with the reason for the change, and the change
    leaves an audit row. The same rule as a first decision applies: never more permissive than the
    core's result (a label contraindication stays "not eligible" whatever is written).
    """
    if not is_prescriber_at(user, assessment.clinic_id):
        raise IntakeNotAllowedError(
            "decided_by", "only a prescriber at the patient's clinic may change the eligibility decision"
        )
    locked = ScreeningAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != VersionStatus.CURRENT:
        raise IntakeInputError("assessment", f"this screening is {locked.status}; decide on the current one")
    if not locked.decision:
        raise IntakeInputError("assessment", "no decision is recorded yet; record one first")
    checks = _Checks()
    if decision not in _ALLOWED_DECISIONS[locked.eligibility]:
        checks.errors.append(_decision_refused(decision, locked.eligibility))
    elif decision == locked.decision:
        checks.refuse("decision", f"the decision is already {_eligibility_words(decision)!r}")
    why = checks.run(lambda: _text("reason", reason, max_chars=MAX_NOTE_CHARS, required=True))
    text = checks.run(lambda: _decision_note(decision, note))
    checks.raise_any()
    previous_by = locked.decided_by.public_id if locked.decided_by is not None else ""
    locked.decision_history = [
        *locked.decision_history,
        {
            "decision": locked.decision,
            "note": locked.decision_note,
            "decided_by": str(previous_by or ""),
            "decided_at": locked.decided_at.isoformat() if locked.decided_at else "",
            "changed_to": decision,
            "change_reason": why or "",
        },
    ]
    locked.decision = decision
    locked.decision_note = text or ""
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.save(update_fields=["decision", "decision_note", "decided_by", "decided_at", "decision_history"])
    record_access_event(
        action="write",
        outcome="granted",
        user=user,
        patient=locked.patient,
        object_type="eligibility_decision_change",
        object_id=str(locked.public_id),
    )
    return locked


# The dosing routes a consent may cover: every route of the core's protocols data, so any protocol a
# plan may use has a route its consent can name.
CONSENT_ROUTES: tuple[str, ...] = core_protocols.route_ids()


def consent_route_choices() -> list[tuple[str, str]]:
    """The routes a consent may cover with their names from the core, in the core's order."""
    return [(route_id, core_protocols.get_route(route_id).name) for route_id in CONSENT_ROUTES]


def route_name(route_id: str) -> str:
    """A dosing route by its name in the core ("Intravenous infusion (racemic ketamine)"), never its id;
    an id the core no longer has reads as its words."""
    return dict(consent_route_choices()).get(route_id, route_id.replace("_", " "))


# Under this age on the signing date a patient does not sign their own treatment consent: a parent or
# legal guardian does. 18 is the age of majority in most US states and the UK for this purpose; a clinic
# whose law lets a younger patient consent changes it (clinic practice).
SELF_CONSENT_MIN_AGE_YEARS = 18
MINOR_SIGNERS: tuple[str, ...] = (Consent.Relationship.PARENT, Consent.Relationship.LEGAL_GUARDIAN)


# --- consent and baselines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConsentInput:
    document_version: str
    signed_on: dt.date
    signer_name: str
    signer_relationship: str
    routes: list[str]


def check_consent(
    *,
    patient: Patient,
    document_version: str | None,
    signed_on: dt.date | None,
    signer_name: str | None,
    signer_relationship: str | None,
    routes: Sequence[str] | None = (),
    signed_form_seen: bool = True,
) -> _ConsentInput:
    """The consent as it would be stored; every refused field at once (nothing is written).

    ``signed_form_seen`` False refuses: a consent in KetaCare stands for a signed paper someone has seen
    (docs/decisions/0034). It defaults to True only for a live check of the other fields, whose form
    asks the tick itself.

    The signing date is checked against the clinic's calendar and the patient's age on it: under
    ``SELF_CONSENT_MIN_AGE_YEARS`` a parent or legal guardian signs, under their own name.
    """
    checks = _Checks()
    version = checks.run(
        lambda: _text("document_version", document_version or "", max_chars=40, required=True)
    )
    name = checks.run(lambda: _text("signer_name", signer_name or "", max_chars=200, required=True))
    if signer_relationship not in Consent.Relationship.values:
        checks.refuse(
            "signer_relationship",
            f"{signer_relationship!r} is not allowed; allowed: {', '.join(Consent.Relationship.values)}",
        )
    given = routes or []
    route_ids = [str(r) for r in dict.fromkeys(given)] if not isinstance(given, str) else [given]
    unknown_routes = [r for r in route_ids if r not in CONSENT_ROUTES]
    if unknown_routes:
        checks.refuse(
            "routes",
            f"{', '.join(map(repr, unknown_routes))} not allowed; allowed: {', '.join(CONSENT_ROUTES)}",
        )
    if not isinstance(signed_on, dt.date) or isinstance(signed_on, dt.datetime):
        checks.refuse("signed_on", "must be a date (YYYY-MM-DD)")
    else:
        _check_signing_day(checks, patient, signed_on, name, signer_relationship)
    if signed_form_seen is not True:
        checks.refuse("signed_form_seen", SIGNED_FORM_SEEN_REQUIRED)
    checks.raise_any()
    return _ConsentInput(
        str(version), cast(dt.date, signed_on), str(name), str(signer_relationship), route_ids
    )


def _check_signing_day(
    checks: _Checks, patient: Patient, signed_on: dt.date, name: str | None, relationship: str | None
) -> None:
    # "Today" is the clinic's calendar day, where the form is signed.
    today = timezone.localdate(timezone=clinic_zone(patient))
    if not patient.date_of_birth <= signed_on <= today:
        checks.refuse(
            "signed_on",
            f"{date_words(signed_on)} is outside the allowed range: from the date of birth "
            f"({date_words(patient.date_of_birth)}) to today ({date_words(today)})",
        )
        return
    try:
        age = age_years_on(patient.date_of_birth, signed_on)
    except ScreeningError as exc:
        checks.refuse("date_of_birth", f"{exc}; correct the date of birth on the patient's record")
        return
    if age >= SELF_CONSENT_MIN_AGE_YEARS:
        return
    if relationship in Consent.Relationship.values and relationship not in MINOR_SIGNERS:
        checks.refuse(
            "signer_relationship",
            f"must be a parent or legal guardian: the patient was {age} on the signing date "
            f"({date_words(signed_on)}), under {SELF_CONSENT_MIN_AGE_YEARS}, so only a parent or legal "
            f"guardian signs; allowed: "
            f"{', '.join(str(Consent.Relationship(value).label) for value in MINOR_SIGNERS)}",
        )
    if name and _same_person(name, patient):
        # A parent who signs is another person: the child's own name under "Parent" is the child signing.
        checks.refuse(
            "signer_name",
            f"{name} is the patient's own name: write the name of the parent or legal guardian who signs",
        )


@transaction.atomic
def record_consent(
    *,
    patient: Patient,
    user: User,
    document_version: str,
    signed_on: dt.date,
    signer_name: str,
    signer_relationship: str,
    routes: Sequence[str] = (),
    signed_form_seen: bool,
) -> Consent:
    """Record a signed treatment consent (checked by :func:`check_consent`).

    ``routes`` are the dosing routes the document covers (the plan gate needs the plan's route).
    ``signed_form_seen`` is the recorder's statement that they saw the form signed by ``signer_name``
    and that it is filed in the clinic's records (``created_by`` and ``created_at`` say who stated it
    and when). Without it nothing is recorded, whatever the door (docs/decisions/0034); consents
    stored before the tick existed say so wherever they are shown.
    """
    checked = check_consent(
        patient=patient,
        document_version=document_version,
        signed_on=signed_on,
        signer_name=signer_name,
        signer_relationship=signer_relationship,
        routes=routes,
        signed_form_seen=signed_form_seen,
    )
    return Consent.objects.create(
        **_owned(patient),
        created_by=user,
        document_version=checked.document_version,
        signed_on=checked.signed_on,
        signer_name=checked.signer_name,
        signer_relationship=checked.signer_relationship,
        routes=checked.routes,
        signed_form_seen=True,
    )


def _same_person(signer_name: str, patient: Patient) -> bool:
    def folded(text: str) -> str:
        return " ".join(text.casefold().split())

    return folded(signer_name) in {folded(patient.full_name), folded(patient.preferred_name or "")} - {""}


def withdraw_consent(*, consent: Consent, user: User, reason: str) -> Consent:
    """Record that the patient withdrew this consent: it stays on record and covers no route from now.

    Every later dose on a route it covered is held until a new consent is signed (the dose
    readiness reads the routes of valid, unwithdrawn consents).
    """
    why = _text("reason", reason, max_chars=500, required=True)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.status != EntryStatus.VALID:
            raise ConflictError(
                "consent", "this consent is marked entered in error; there is nothing to withdraw"
            )
        if locked.withdrawn_at is not None:
            raise ConflictError(
                "consent",
                "this consent was already withdrawn on "
                f"{clinic_time_words(locked.withdrawn_at, clinic_zone(consent.patient))} (clinic time)",
            )
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = user
        locked.withdrawal_reason = why
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    return locked


def classify_medicine(*, patient: Patient, user: User, name: str, class_id: str) -> MedicineClassification:
    """A prescriber classifies a medicine KetaCare does not recognise, for the whole clinic.

    ``class_id`` is an interaction class id or ``"no_interaction"``. The answer is kept for the clinic
    (a later answer for the same name replaces it; the row names who answered and when, and the page's
    access is audited), and the patient's current medication list
    is screened again with it at once, so its flags show the class now.
    """
    if not is_prescriber_at(user, patient.clinic_id):
        raise NotPermitted("class_id", "only a prescriber at this clinic classifies a medicine")
    text = _text("name", name, max_chars=MAX_CLASSIFIED_NAME_CHARS, required=True)
    try:
        check_clinic_classifications({text: class_id})
    except ScreeningError as exc:
        raise IntakeInputError("class_id", str(exc)) from None
    with transaction.atomic():
        row, _ = MedicineClassification.objects.update_or_create(
            clinic_id=patient.clinic_id,
            name_key=normalise_medication_name(text),
            defaults={
                "name": text,
                "class_id": class_id,
                "classified_by": user,
                "classified_at": timezone.now(),
            },
        )
        current = MedicationList.objects.filter(patient=patient, status=VersionStatus.CURRENT).first()
        if current is not None:
            record_medications(
                patient=patient,
                user=user,
                medications=current.medications,
                drug_classes=current.drug_classes,
                no_medicines=current.no_medicines,
            )
    return row
