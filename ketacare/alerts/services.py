"""Writes for alerts: `raise_alert` runs inside the transaction of the submission that causes it."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ketacare.alerts.models import Alert
from ketacare.patients.models import Patient


class AlertOutsideTransactionError(RuntimeError):
    """raise_alert was called outside a transaction: the alert could be lost apart from its cause."""


def raise_alert(
    *,
    patient: Patient,
    source: str,
    severity: str,
    title: str,
    detail: str = "",
    dedupe_key: str | None = None,
) -> Alert:
    """Create an open alert for the patient's clinic, assigned to their primary clinician.

    Must be called inside the transaction of the submission that causes it (security.md #12), so
    that a submission is never stored without its alert. With ``dedupe_key`` the same cause raises
    one alert: a second call returns the first one.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AlertOutsideTransactionError("raise_alert must run inside the submission's transaction")
    if source not in Alert.Source.values:
        raise ValueError(f"source {source!r} is not one of {', '.join(Alert.Source.values)}")
    if severity not in Alert.Severity.values:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(Alert.Severity.values)}")
    if dedupe_key is not None:
        existing = Alert.objects.filter(patient=patient, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return Alert.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                source=source,
                severity=severity,
                title=title[:200],
                detail=detail,
                assignee_id=patient.primary_clinician_id,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        # A concurrent submission of the same cause won the race: return its alert.
        return Alert.objects.get(patient=patient, dedupe_key=dedupe_key)
