"""Check-in facts sibling record apps read through ``ketacare.patients.facts`` (docs/decisions/0010, 0013)."""

from __future__ import annotations

import datetime as dt

from ketacare.alerts.models import Alert
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


# An alert whose key starts with this holds the next dose until it is resolved (the vigilance rule
# for a positive bladder check uses it); a check-in's own alert holds it when its triage said so.
HOLD_KEY_PREFIX = "next_dose_hold:"


def next_dose_hold(patient: Patient) -> str | None:
    """Why the next dose is paused until a prescriber reviews, or None (patients.facts.next_dose_hold)."""
    held_checkins = SymptomCheckin.objects.filter(
        patient=patient, status=SymptomCheckin.Status.VALID, triage_result__hold_next_dose=True
    ).values_list("public_id", flat=True)
    keys = [f"checkin:{public_id}" for public_id in held_checkins]
    unresolved = Alert.objects.filter(patient=patient).exclude(state=Alert.State.RESOLVED)
    alert = (
        unresolved.filter(dedupe_key__in=keys).order_by("-created_at").first()
        or unresolved.filter(dedupe_key__startswith=HOLD_KEY_PREFIX).order_by("-created_at").first()
    )
    if alert is None:
        return None
    return (
        "Next dose paused until a prescriber reviews: bladder or urinary symptoms were reported "
        f"on {alert.created_at:%d %b %Y}."
    )
