"""Demo intake: demographics, weight, medicines, screening with a decision, consent and a baseline PHQ-9.

Seeds the patients in induction: the ones who can log in and the others the treatments demo plans (a
plan needs screening, a decision and consent). The outcomes demo gives the patients of its past courses
(maintenance, completed, discontinued) the same intake before each course (`seed_before_course`).
Deterministic without touching ``ctx.rng`` (each patient's values come from a generator seeded by their
record number, so other apps' random sequences do not depend on what already exists) and idempotent
(a patient with an intake is skipped). All values are synthetic.

The whole intake, the prescriber's classification of the medicines KetaCare does not recognise and the
eligibility decision included, is dated weeks before the patient's first demo session
(ketacare/demo/treatments.py begins the induction courses at most 20 days back).
The services that stamp their own time (``classify_medicine``, ``record_eligibility_decision``) are
called as a prescriber would call them and their times moved back afterwards, as the past treatment
courses are (ketacare/demo/outcomes.py).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from ketacare.demo.treatments import induction_patients
from ketacare.intake import services
from ketacare.intake.models import (
    Intake,
    MedicationList,
    MedicineClassification,
    ScreeningAssessment,
    VersionStatus,
)

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

# (indications, medications, ticked classes, conditions present, decision note): one profile per login
# patient, in record-number order, so the demo shows every screening branch a treated patient can have;
# the other induction patients take them in turn.
PROFILES: list[tuple[list[str], list[str], list[str], list[str], str]] = [
    (["treatment_resistant_depression"], ["sertraline 100 mg every morning"], [], [], ""),
    (
        ["major_depression", "anxiety"],
        ["lorazepam 1 mg at night", "amlodipine 5 mg"],
        [],
        ["uncontrolled_hypertension"],
        "Hold lorazepam the evening before; check blood pressure before and 40 min after dosing.",
    ),
    (
        ["treatment_resistant_depression", "ptsd"],
        ["Vyvanse 30 mg", "escitalopram 10 mg"],
        [],
        [],
        "Stimulant: no dose on the treatment morning; blood pressure checked closely.",
    ),
]
# The prescriber's answers for the profiles' medicines KetaCare does not recognise (SSRIs: no class the
# knowledge base lists). Whole words of a medication entry, as the clinic classification matches them.
CLASSIFICATIONS = {"sertraline": "no_interaction", "escitalopram": "no_interaction"}
# How many days before the demo's `now` the intake interview took place: before the first plan
# session (at most 20 days back, ketacare/demo/treatments.py).
INTAKE_DAYS_AGO = 35
# A past course's intake (ketacare/demo/outcomes.py) comes three weeks before its first session
# (illustrative, not a clinical fact).
INTAKE_DAYS_BEFORE_COURSE = 21
CONSENT_VERSION = "KC-CONSENT-2026.1"
# The demo plans give IV ketamine and esketamine nasal spray (ketacare/demo/treatments.py), and a plan
# needs a consent that covers its route.
CONSENT_ROUTES = ("iv", "esketamine_in")


def _phq9_answers(rng: random.Random) -> list[int]:
    # Moderately severe baseline; item 9 stays 0 so the demo raises no alert by itself.
    return [rng.choice([2, 3]) for _ in range(8)] + [0]


def _intake_staff(ctx: DemoContext, key: str) -> tuple[Any, Any] | None:
    """The clinic's nurse (who takes the intake) and prescriber (who decides), if the demo has both."""
    nurse = ctx.staff.get("nurse" if key == "a" else "nurse-b")
    prescriber = ctx.staff.get("prescriber" if key == "a" else "prescriber-b")
    return (nurse, prescriber) if nurse is not None and prescriber is not None else None


def seed_app(ctx: DemoContext) -> None:
    """Seed intake and screening for each clinic's login patients and the other induction patients."""
    for key, patients in ctx.patients_by_clinic.items():
        staff = _intake_staff(ctx, key)
        if staff is None:
            continue
        login_patients = [p for p in patients if p.user_id is not None]
        in_induction = login_patients + induction_patients(ctx, key)
        for index, patient in enumerate(ctx.progress(in_induction, f"intake at clinic {key.upper()}")):
            if Intake.objects.filter(patient=patient).exists():
                continue
            _seed_patient(
                patient,
                PROFILES[index % len(PROFILES)],
                *staff,
                start=ctx.now - dt.timedelta(days=INTAKE_DAYS_AGO),
            )


def seed_before_course(
    ctx: DemoContext,
    key: str,
    patient: Any,
    *,
    index: int,
    first_session_at: dt.datetime,
    phq9_answers: list[int],
) -> None:
    """The same intake for a patient whose past course the outcomes demo lays out, taken
    `INTAKE_DAYS_BEFORE_COURSE` days before its first session, its baseline PHQ-9 the course's own
    baseline answers. Nothing when the patient has an intake."""
    staff = _intake_staff(ctx, key)
    if staff is None or Intake.objects.filter(patient=patient).exists():
        return
    start = first_session_at - dt.timedelta(days=INTAKE_DAYS_BEFORE_COURSE)
    _seed_patient(patient, PROFILES[index % len(PROFILES)], *staff, start=start, phq9_answers=phq9_answers)


def _seed_patient(
    patient: Any,
    profile: Any,
    nurse: Any,
    prescriber: Any,
    *,
    start: dt.datetime,
    phq9_answers: list[int] | None = None,
) -> None:
    indications, medications, classes, conditions, note = profile
    rng = random.Random(patient.medical_record_number)  # noqa: S311 - synthetic data, not security
    services.record_intake(
        patient=patient,
        user=nurse,
        sex=patient.sex,
        height_cm=rng.randrange(155, 192),
        indications=indications,
        previous_treatments="Two SSRIs at full dose for 8 weeks each without response; weekly CBT for a year.",
        recorded_at=start,
    )
    services.record_weight(
        patient=patient,
        user=nurse,
        weight_kg=rng.randrange(55, 110),
        measured_at=start + dt.timedelta(minutes=5),
    )
    listed = services.record_medications(
        patient=patient,
        user=nurse,
        medications=medications,
        drug_classes=classes,
        recorded_at=start + dt.timedelta(minutes=10),
    )
    classified_at = start + dt.timedelta(minutes=12)
    for name, class_id in CLASSIFICATIONS.items():
        if any(name in entry.lower().split() for entry in listed.unrecognised_medications):
            row = services.classify_medicine(patient=patient, user=prescriber, name=name, class_id=class_id)
            MedicineClassification.objects.filter(pk=row.pk).update(classified_at=classified_at)
            # The service screens the current list again with the answer; that list dates from then too.
            MedicationList.objects.filter(patient=patient, status=VersionStatus.CURRENT).update(
                recorded_at=classified_at
            )
    assessment = services.assess_screening(
        patient=patient,
        user=nurse,
        conditions_present=conditions,
        all_items_asked=True,
        assessed_at=start + dt.timedelta(minutes=15),
    )
    services.record_eligibility_decision(
        assessment=assessment, user=prescriber, decision=assessment.eligibility, note=note
    )
    ScreeningAssessment.objects.filter(pk=assessment.pk).update(decided_at=start + dt.timedelta(minutes=18))
    services.record_consent(
        patient=patient,
        user=nurse,
        document_version=CONSENT_VERSION,
        signed_on=(start + dt.timedelta(minutes=20)).date(),
        signer_name=patient.full_name,
        signer_relationship="self",
        routes=CONSENT_ROUTES,
        signed_form_seen=True,
    )
    services.record_baseline_score(
        patient=patient,
        user=nurse,
        instrument_id="phq9",
        answers=phq9_answers or _phq9_answers(rng),
        completed_at=start + dt.timedelta(minutes=30),
    )
