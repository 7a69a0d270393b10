"""Check-in facts sibling record apps read through ``ketacare.patients.facts`` (docs/decisions/0010, 0013)."""

from __future__ import annotations

import datetime as dt

from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.patients.models import Patient


def red_flags_since(patient: Patient, *, since: dt.datetime | None) -> list[str]:
    """The red-flag ids reported in the patient's valid check-ins since ``since``, oldest first, each once."""
    rows = SymptomReport.objects.filter(
        patient=patient,
        kind=SymptomReport.Kind.RED_FLAG,
        checkin__status=SymptomCheckin.Status.VALID,
    )
    if since is not None:
        rows = rows.filter(checkin__submitted_at__gte=since)
    ids = rows.order_by("checkin__submitted_at", "id").values_list("symptom_id", flat=True)
    return list(dict.fromkeys(ids))
