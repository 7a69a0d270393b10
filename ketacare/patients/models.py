"""Patients: each belongs to exactly one clinic."""

from __future__ import annotations

import uuid

from django.db import models

from ketacare.clinics.models import validate_time_zone


class ClinicalRecord(models.Model):
    """The columns every row of patient data carries (abstract): each subclass adds its own ``patient``.

    ``public_id`` is what URLs and the API show (integer keys stay internal); ``clinic`` is the future
    shard key and the first filter of every access check; ``created_at`` is when the row was written,
    apart from the time the clinical event happened, which each record names itself (``measured_at``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Patient(models.Model):
    """A person treated at one clinic; reached only through `access_patient`."""

    class Stage(models.TextChoices):
        SCREENING = "screening", "Screening"
        INDUCTION = "induction", "Induction"
        MAINTENANCE = "maintenance", "Maintenance"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="patient"
    )
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    medical_record_number = models.CharField(max_length=40, blank=True)
    # The patient's own zone: "the day after the session" is reckoned here.
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.SCREENING)
    primary_clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="primary_patients"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["full_name"]
        indexes = [
            # The staff patient list: one clinic's patients ordered by name, searched by prefix.
            models.Index(fields=["clinic", "full_name"], name="patient_clinic_name_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name
