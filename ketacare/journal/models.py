"""The patient's integration journal: private by default, shared with the clinic entry by entry."""

from __future__ import annotations

from django.db import models

from ketacare.patients.models import ClinicalRecord

TEXT_MAX_CHARS = 10_000


class JournalEntry(ClinicalRecord):
    """One journal entry; staff see it only while ``shared_with_clinic`` is True."""

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="journal_entries")
    written_at = models.DateTimeField()
    prompt_id = models.CharField(max_length=60, blank=True)
    text = models.TextField(max_length=TEXT_MAX_CHARS)
    shared_with_clinic = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALID)

    class Meta:
        ordering = ["-written_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "idempotency_key"], name="journal_idempotency_key"),
        ]
        indexes = [
            # The patient's journal, newest first; staff filter it to shared entries.
            models.Index(fields=["patient", "shared_with_clinic", "-written_at"], name="journal_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"journal entry {self.written_at:%Y-%m-%d}"
