"""Support people: someone the patient invites to see a small, chosen part of their care."""

from __future__ import annotations

from django.db import models

from ketacare.patients.models import ClinicalRecord

NAME_MAX_CHARS = 100


class SupportGrant(ClinicalRecord):
    """One invited person, their role, and how long the link works.

    The link's secret is stored only as its SHA-256 digest (``accounts.tokens``): it is shown to the
    patient once. A day-of-treatment companion's link works on one day in the patient's time zone
    (``valid_from`` to ``valid_until``); an ongoing supporter's until the patient revokes it.
    """

    class Role(models.TextChoices):
        DAY_COMPANION = "day_companion", "Day-of-treatment companion"
        SUPPORTER = "supporter", "Ongoing supporter"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="support_grants")
    name = models.CharField(max_length=NAME_MAX_CHARS)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    day = models.DateField(null=True, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The patient's list of the people they invited.
            models.Index(fields=["patient", "-created_at"], name="support_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.created_at:%Y-%m-%d})"
