"""Reads for the journal: the patient sees all their entries, staff only shared ones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from ketacare.journal.models import JournalEntry
from ketacare.patients.facts import last_dose_start
from ketacare.patients.models import Patient


def own_entries(*, patient: Patient) -> QuerySet[JournalEntry]:
    """Every valid entry of the patient (for the patient themself), newest first."""
    return JournalEntry.objects.filter(patient=patient, status=JournalEntry.Status.VALID).order_by(
        "-written_at", "-id"
    )


def shared_entries(*, patient: Patient) -> QuerySet[JournalEntry]:
    """Only the entries the patient shared with the clinic (what staff may read)."""
    return own_entries(patient=patient).filter(shared_with_clinic=True)


def days_since_last_session(patient: Patient, *, now: dt.datetime) -> int | None:
    """Local calendar days since the last dose in the patient's zone (0 = the session day), or None."""
    dose = last_dose_start(patient, now=now)
    if dose is None:
        return None
    zone = ZoneInfo(patient.time_zone)
    return (now.astimezone(zone).date() - dose.started_at.astimezone(zone).date()).days
