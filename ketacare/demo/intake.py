"""Demo intake: demographics, weight, medicines, screening with a decision, consent and a baseline PHQ-9.

Seeds the patients who can log in (the ones in treatment). Deterministic without touching ``ctx.rng``
(each patient's values come from a generator seeded by their record number, so other apps' random
sequences do not depend on what already exists) and idempotent (a patient with an intake is skipped).
All values are synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from ketacare.intake import services
from ketacare.intake.models import Intake

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

# (indications, medications, ticked classes, conditions present, decision note): one profile per login
# patient, in record-number order, so the demo shows every screening branch a treated patient can have.
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
CONSENT_VERSION = "KC-CONSENT-2026.1"
# The demo plans give IV ketamine and esketamine nasal spray (ketacare/demo/treatments.py), and a plan
# needs a consent that covers its route.
CONSENT_ROUTES = ("iv", "esketamine_in")


def _phq9_answers(rng: random.Random) -> list[int]:
    # Moderately severe baseline; item 9 stays 0 so the demo raises no alert by itself.
    return [rng.choice([2, 3]) for _ in range(8)] + [0]


def seed_app(ctx: DemoContext) -> None:
    """Seed intake and screening for each clinic's login patients."""
    for key, patients in ctx.patients_by_clinic.items():
        nurse = ctx.staff.get("nurse" if key == "a" else "nurse-b")
        prescriber = ctx.staff.get("prescriber" if key == "a" else "prescriber-b")
        if nurse is None or prescriber is None:
            continue
        login_patients = [p for p in patients if p.user_id is not None]
        for index, patient in enumerate(ctx.progress(login_patients, f"intake at clinic {key.upper()}")):
            if Intake.objects.filter(patient=patient).exists():
                continue
            _seed_patient(ctx, patient, PROFILES[index % len(PROFILES)], nurse, prescriber)


def _seed_patient(ctx: DemoContext, patient: Any, profile: Any, nurse: Any, prescriber: Any) -> None:
    indications, medications, classes, conditions, note = profile
    rng = random.Random(patient.medical_record_number)  # noqa: S311 - synthetic data, not security
    start = ctx.now - dt.timedelta(days=35)
    services.record_intake(
        patient=patient,
        user=nurse,
        sex=rng.choice(["female", "male"]),
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
    services.record_medications(
        patient=patient,
        user=nurse,
        medications=medications,
        drug_classes=classes,
        recorded_at=start + dt.timedelta(minutes=10),
    )
    assessment = services.assess_screening(
        patient=patient,
        user=nurse,
        conditions_present=conditions,
        assessed_at=start + dt.timedelta(minutes=15),
    )
    services.record_eligibility_decision(
        assessment=assessment, user=prescriber, decision=assessment.eligibility, note=note
    )
    services.record_consent(
        patient=patient,
        user=nurse,
        document_version=CONSENT_VERSION,
        signed_on=(start + dt.timedelta(minutes=20)).date(),
        signer_name=patient.full_name,
        signer_relationship="self",
        routes=CONSENT_ROUTES,
    )
    services.record_baseline_score(
        patient=patient,
        user=nurse,
        instrument_id="phq9",
        answers=_phq9_answers(rng),
        completed_at=start + dt.timedelta(minutes=30),
    )
