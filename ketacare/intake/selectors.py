"""Reads for intake and screening; intake records are reached only through the access layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.core import display
from ketacare.core import knowledge as core_knowledge
from ketacare.intake.models import (
    BaselineScore,
    Consent,
    EntryStatus,
    Intake,
    MedicationList,
    ScreeningAssessment,
    VersionStatus,
    WeightMeasurement,
)
from ketacare.intake.services import CORRECTABLE
from ketacare.patients.facts import (
    BaselinePoint,
    EligibilityPrecautions,
    PlanGateFacts,
    ScreeningFinding,
    WeightFact,
)
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient

# How many weights and baseline scores the intake page lists.
HISTORY_ROWS = 10


def access_staff_patient(user: User, patient_id: str, *, action: str = "read") -> Patient:
    """Return the patient for staff of the patient's clinic, else Http404 (a patient's own login too).

    Intake is a staff record: a patient reaches their own record elsewhere, never these pages.
    """
    if hasattr(user, "patient"):
        record_access_event(
            user=user, action=action, outcome="denied", object_type="patient", object_id=str(patient_id)[:64]
        )
        raise Http404("No such patient")
    return access_patient(user, patient_id, action=action)


def access_intake_record(user: User, kind: str, public_id: str, *, patient: Patient) -> Any:
    """Return one intake record of this (already accessed) patient by kind and public id, else Http404."""
    model = CORRECTABLE.get(kind)
    if model is None:
        raise Http404("No such record")
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such record") from None
    record = model.objects.filter(public_id=key, patient=patient).first()
    if record is None:
        raise Http404("No such record")
    return record


@dataclass
class IntakeSummary:
    """Everything the intake page and the API summary show about one patient."""

    patient: Patient
    intake: Intake | None
    weights: list[WeightMeasurement]
    latest_weight: WeightMeasurement | None
    medication_list: MedicationList | None
    screening: ScreeningAssessment | None
    consents: list[Consent]
    baselines: list[BaselineScore]


def intake_summary(patient: Patient) -> IntakeSummary:
    """The patient's current intake, weights, medicines, screening, consents and baseline scores."""
    weights = list(
        WeightMeasurement.objects.filter(patient=patient).select_related("created_by")[:HISTORY_ROWS]
    )
    screening = (
        ScreeningAssessment.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .select_related("decided_by", "created_by")
        .first()
    )
    medication_list = MedicationList.objects.filter(patient=patient, status=VersionStatus.CURRENT).first()
    return IntakeSummary(
        patient=patient,
        intake=Intake.objects.filter(patient=patient, status=VersionStatus.CURRENT).first(),
        weights=weights,
        latest_weight=next((w for w in weights if w.status == EntryStatus.VALID), None),
        medication_list=medication_list,
        screening=screening,
        consents=list(Consent.objects.filter(patient=patient).select_related("created_by")[:HISTORY_ROWS]),
        baselines=list(BaselineScore.objects.filter(patient=patient)[:HISTORY_ROWS]),
    )


# How intake names the core's clinic-practice source: a KetaCare default that no published study backs
# (the core's citation for it is written for the clinic's reviewers, not for the staff at work). Every
# place intake shows that source, or a rule resting on it, says these words.
CLINIC_PRACTICE_WORDS = "Usual clinic practice, not from a published study"


def source_entries(source_ids: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    """The cited sources as a reader sees them: each one's title, and its link where it has one.

    The ids are the core's keys for the sources ("MedicineNet"); they stay in the stored record and in
    docs/clinical-sources.md, but a page shows the title, never the key.
    """
    known = core_knowledge.source_ids()
    entries = []
    for source_id in dict.fromkeys(source_ids):
        if source_id not in known:
            continue
        if source_id == core_knowledge.CLINIC_PRACTICE:
            entries.append({"title": CLINIC_PRACTICE_WORDS, "url": ""})
            continue
        source = core_knowledge.get_source(source_id)
        entries.append({"title": source.citation, "url": source.url or ""})
    return entries


def with_sources(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored reasons with their cited sources resolved from the core (title, link) for display."""
    return [{**reason, "source_entries": source_entries(reason.get("sources", []))} for reason in reasons]


def checklist() -> list[Any]:
    """The screening checklist from the core: contraindications first, then precautions."""
    return list(core_knowledge.conditions())


def drug_classes() -> list[Any]:
    """The interacting medicine classes from the core, for the class picker."""
    return list(core_knowledge.interactions())


# Intake facts that sibling record apps read through patients.facts.


def recorded_sex(patient: Patient) -> str:
    """The sex on the patient's current intake as recorded (FHIR administrative gender), "" without one."""
    return (
        Intake.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .order_by("-recorded_at", "-id")
        .values_list("sex", flat=True)
        .first()
    ) or ""


def patient_sex(patient: Patient) -> str:
    """The sex on the patient's current intake as the core's covariate ("female", "male", else "unknown")."""
    sex = recorded_sex(patient)
    return sex if sex in (Intake.Sex.FEMALE, Intake.Sex.MALE) else "unknown"


def patient_conditions(patient: Patient) -> list[str]:
    """The indications of the patient's current intake (e.g. "ptsd", "chronic_pain")."""
    intake = Intake.objects.filter(patient=patient, status="current").order_by("-recorded_at").first()
    return [str(value) for value in (intake.indications if intake else [])]


def intake_baselines(patient: Patient, *, instrument_id: str | None = None) -> list[BaselinePoint]:
    """The patient's valid intake baselines, oldest first (one instrument's when ``instrument_id``)."""
    rows = BaselineScore.objects.filter(patient=patient, status="valid").order_by("completed_at", "id")
    if instrument_id is not None:
        rows = rows.filter(instrument_id=instrument_id)
    return [BaselinePoint(b.instrument_id, b.completed_at, float(b.total), b.band) for b in rows]


def plan_gate_facts(patient: Patient) -> PlanGateFacts:
    """The current screening and its decision, and the routes the patient's valid consents cover."""
    screening = (
        ScreeningAssessment.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .order_by("-assessed_at", "-id")
        .first()
    )
    routes: dict[str, None] = {}
    withdrawn: dict[str, None] = {}
    for covered, withdrawn_at in Consent.objects.filter(
        patient=patient, status=EntryStatus.VALID
    ).values_list("routes", "withdrawn_at"):
        (withdrawn if withdrawn_at is not None else routes).update(
            dict.fromkeys(str(r) for r in covered or [])
        )
    return PlanGateFacts(
        screening_completed=screening is not None,
        screening_public_id=str(screening.public_id) if screening else "",
        screened_at=screening.assessed_at if screening else None,
        decision=screening.decision if screening else "",
        decided_at=screening.decided_at if screening else None,
        consent_routes=tuple(routes),
        withdrawn_consent_routes=tuple(r for r in withdrawn if r not in routes),
        japanese_ancestry=Intake.objects.filter(
            patient=patient, status=VersionStatus.CURRENT, japanese_ancestry=True
        ).exists(),
        screened_drug_classes=tuple(
            dict.fromkeys(
                [
                    *(screening.drug_classes if screening else []),
                    *(
                        r.get("id", "")
                        for r in (screening.reasons if screening else [])
                        if r.get("kind") == "interaction"
                    ),
                ]
            )
        ),
    )


def latest_weight(patient: Patient) -> WeightFact | None:
    """patients.facts.latest_weight: the latest valid weight measurement."""
    found = (
        WeightMeasurement.objects.filter(patient=patient, status=EntryStatus.VALID)
        .order_by("-measured_at", "-id")
        .only("weight_kg", "measured_at")
        .first()
    )
    return WeightFact(float(found.weight_kg), found.measured_at) if found is not None else None


# The screening findings the people dosing weigh; "note" findings (the esketamine day-1 dose from 65) are
# the prescriber's when planning and reach the dose through the plan.
_DOSING_FINDING_LEVELS = ("contraindication", "precaution")


def eligibility_precautions(patient: Patient) -> EligibilityPrecautions | None:
    """patients.facts.eligibility_precautions: the current screening's decision, note and findings."""
    screening = (
        ScreeningAssessment.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .select_related("decided_by")
        .order_by("-assessed_at", "-id")
        .first()
    )
    if screening is None:
        return None
    findings = tuple(
        ScreeningFinding(
            level=str(reason.get("level")),
            name=str(reason.get("name") or "") or display.name_for(str(reason.get("id") or "")),
            detail=str(reason.get("detail") or ""),
            medications=tuple(str(m) for m in reason.get("medications") or ()),
        )
        for reason in screening.reasons or []
        if reason.get("level") in _DOSING_FINDING_LEVELS
    )
    return EligibilityPrecautions(
        decision=screening.decision,
        decision_label=screening.get_decision_display() if screening.decision else "",
        note=screening.decision_note if screening.decision else "",
        decided_by=str(screening.decided_by) if screening.decided_by else "",
        decided_at=screening.decided_at,
        findings=findings,
    )
