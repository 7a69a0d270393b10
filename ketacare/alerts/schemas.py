"""JSON shapes for the alerts API: explicit fields; nothing server-owned is writable."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema


class AlertOut(Schema):
    public_id: uuid.UUID
    # None for a clinic-level alert (a controlled-drug count difference): it is about no patient.
    patient_id: uuid.UUID | None
    source: str
    severity: str
    state: str
    title: str
    detail: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    note: str
    resolved_at: dt.datetime | None
    # What the resolution recorded: for an emergency or suicide-risk alert all three are required.
    resolution_note: str
    resolution_outcome: str
    resolution_assessed_by: str
    escalated_at: dt.datetime | None
    evidence: dict


def alert_out(alert: object) -> AlertOut:
    a = alert
    return AlertOut(
        public_id=a.public_id,  # type: ignore[attr-defined]
        patient_id=a.patient.public_id if a.patient is not None else None,  # type: ignore[attr-defined]
        source=a.source,  # type: ignore[attr-defined]
        severity=a.severity,  # type: ignore[attr-defined]
        state=a.state,  # type: ignore[attr-defined]
        title=a.title,  # type: ignore[attr-defined]
        detail=a.detail,  # type: ignore[attr-defined]
        created_at=a.created_at,  # type: ignore[attr-defined]
        acknowledged_at=a.acknowledged_at,  # type: ignore[attr-defined]
        note=a.note,  # type: ignore[attr-defined]
        resolved_at=a.resolved_at,  # type: ignore[attr-defined]
        resolution_note=a.resolution_note,  # type: ignore[attr-defined]
        resolution_outcome=a.resolution_outcome,  # type: ignore[attr-defined]
        resolution_assessed_by=a.resolution_assessed_by,  # type: ignore[attr-defined]
        escalated_at=a.escalated_at,  # type: ignore[attr-defined]
        evidence=a.evidence or {},  # type: ignore[attr-defined]
    )
