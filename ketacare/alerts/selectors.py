"""Reads for alerts: only through a patient the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from ketacare.alerts.models import Alert
from ketacare.patients.models import Patient


def patient_alerts(*, patient: Patient) -> QuerySet[Alert]:
    """The alerts of one patient (already authorised by access_patient), newest first."""
    return Alert.objects.filter(patient=patient, clinic_id=patient.clinic_id).order_by("-created_at", "-id")
