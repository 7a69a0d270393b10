"""Shared FHIR test helpers: a patient history to export, and an independent R4 validator.

The independent validator is SMART's ``fhirclient`` in strict mode (its R4 models are generated from
the R4 StructureDefinitions by another project than ``fhir.resources``, which the product uses).
"""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo
from typing import Any

from django.utils import timezone

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.treatments.models import AdverseEvent, VitalSign
from tests.support.checkins import make_dose


def make_history(patient: Any, clinician: Any, *, now: dt.datetime | None = None) -> Any:
    """Two doses (IV, esketamine), vital signs, an in-session adverse event, PHQ-9 twice, a check-in."""
    now = now or timezone.now()
    make_dose(patient, route="esketamine_in", started_at=now - dt.timedelta(days=7))
    session = make_dose(patient, started_at=now - dt.timedelta(days=2))
    common = {"clinic": patient.clinic, "patient": patient, "session": session, "created_by": clinician}
    VitalSign.objects.create(
        **common,
        kind="in_session",
        measured_at=session.dose_started_at,
        systolic_mmhg=142,
        diastolic_mmhg=88,
        heart_rate_bpm=84,
        spo2_pct=97,
    )
    AdverseEvent.objects.create(
        **common, occurred_at=session.dose_started_at, description="Vomited once", severity="mild"
    )
    for n, (days, value) in enumerate([(8, 2), (1, 1)]):
        submit_questionnaire(
            patient=patient,
            instrument_id="phq9",
            answers={f"phq9.q{i}": value for i in range(1, 10)},
            idempotency_key=f"fhir-q{n}",
            now=now - dt.timedelta(days=days),
        )
    submit_checkin(
        patient=patient,
        idempotency_key="fhir-c1",
        reports=[ReportIn("nausea", "mild")],
        mood=7,
        note="",
        now=now - dt.timedelta(days=2) + dt.timedelta(hours=2),
    )
    return session


def make_care_records(patient: Any, clinician: Any) -> Any:
    """A medication list, a plan with its appointments, a current consent and a withdrawn one (by a parent).

    Returns the plan. Everything goes through the intake and treatment services.
    """
    from ketacare.intake import services as intake
    from ketacare.treatments.services import create_treatment_plan
    from tests.support.pathway import ready_for_plan

    intake.record_medications(
        patient=patient,
        user=clinician,
        medications=["Sertraline 50 mg daily"],
        drug_classes=["benzodiazepines"],
    )
    ready_for_plan(patient, prescriber=clinician)
    zone = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    withdrawn = intake.record_consent(
        patient=patient,
        user=clinician,
        document_version="KC-OLD-0",
        signed_on=timezone.localdate(timezone=zone) - dt.timedelta(days=30),
        signer_name="Pat Parent",
        signer_relationship="parent",
        routes=["oral"],
        signed_form_seen=True,
    )
    intake.withdraw_consent(consent=withdrawn, user=clinician, reason="Changed their mind")
    return create_treatment_plan(
        patient=patient,
        user=clinician,
        protocol_id="iv_ketamine",
        preset_id=None,
        first_session_at=timezone.now() + dt.timedelta(days=2),
        weight_kg=70.0,
    )


def strict_validate(resource: dict[str, Any]) -> Any:
    """Parse a resource (a Bundle too) with fhirclient's R4 model in strict mode; raises on any error."""
    kind = resource["resourceType"]
    module = importlib.import_module(f"fhirclient.models.{kind.lower()}")
    return getattr(module, kind)(resource, strict=True)
