"""Reads for the journal: the patient sees all their entries, staff only shared ones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from ketacare.core.free_text import MAX_FREE_TEXT_CHARS, FreeTextScreen, screen_free_text
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


# The messages' bound (messaging.models.BODY_MAX_CHARS; tests/integration/test_journal_red_flags.py holds
# them equal): an entry offered to the care team is sent as one message.
MESSAGE_MAX_CHARS = 2000


def red_flag_screen(text: str) -> FreeTextScreen | None:
    """The first red flag in a journal entry's words (the check-in's and messages' screen), or None.

    The screen reads at most MAX_FREE_TEXT_CHARS at a time; an entry may be longer, so it is read in
    overlapping windows (a phrase cut by one window is whole in the next).
    """
    step = MAX_FREE_TEXT_CHARS - 200
    for start in range(0, max(len(text), 1), step):
        screen = screen_free_text(text[start : start + MAX_FREE_TEXT_CHARS])
        if screen.outcome == "red_flag":
            return screen
    return None
