"""Which patient a FHIR resource id belongs to.

Resources made from one record carry the record's ``public_id``: one indexed query per record table
finds it. Resources derived from a record (heart rate and SpO2 from a vital-signs row, item and total
scores from a response, the administration of a session, mood from a check-in) carry a UUIDv5 that
cannot be inverted; for those the patients the asker may reach are searched (decision 0019 names the
index table that would replace this scan).
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.intake.models import BaselineScore, Consent, MedicationList
from ketacare.interop.fhir_resources import patient_resources
from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireResponse
from ketacare.treatments.models import AdverseEvent, Appointment, TreatmentPlan, TreatmentSession, VitalSign

RECORD_MODELS = (
    TreatmentSession,
    VitalSign,
    AdverseEvent,
    Appointment,
    QuestionnaireResponse,
    SymptomReport,
    SymptomCheckin,
    TreatmentPlan,
    Consent,
    BaselineScore,
    MedicationList,
)


def owner_of(resource_id: str, reachable: QuerySet[Patient]) -> Patient | None:
    try:
        key = uuid.UUID(resource_id)
    except ValueError:
        return None
    for model in RECORD_MODELS:
        patient_pk = model.objects.filter(public_id=key).values_list("patient_id", flat=True).first()  # type: ignore[attr-defined]
        if patient_pk is not None:
            # Found: the caller's access check decides (and audits) whether the asker may read it.
            return Patient.objects.select_related("clinic").filter(pk=patient_pk).first()
    for patient in reachable:
        if any(r["id"] == resource_id for r in patient_resources(patient)):
            return patient
    return None
