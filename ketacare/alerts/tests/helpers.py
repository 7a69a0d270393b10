from __future__ import annotations

from typing import Any

from ketacare.alerts.models import Alert


def make_alert(
    patient: Any,
    *,
    severity: str = "urgent",
    source: str = "red_flag_checkin",
    title: str = "Alert",
    **extra: Any,
) -> Alert:
    return Alert.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        source=source,
        severity=severity,
        title=title,
        assignee_id=patient.primary_clinician_id,
        **extra,
    )
