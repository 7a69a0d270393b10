"""Shared FHIR test helpers: a patient history to export, and an independent R4 validator.

The independent validator is SMART's ``fhirclient`` in strict mode (its R4 models are generated from
the R4 StructureDefinitions by another project than ``fhir.resources``, which the product uses).
"""

from __future__ import annotations

import datetime as dt
import importlib
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


def strict_validate(resource: dict[str, Any]) -> Any:
    """Parse a resource (a Bundle too) with fhirclient's R4 model in strict mode; raises on any error."""
    kind = resource["resourceType"]
    module = importlib.import_module(f"fhirclient.models.{kind.lower()}")
    return getattr(module, kind)(resource, strict=True)
