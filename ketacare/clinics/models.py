"""Clinics and the staff who work at them."""

from __future__ import annotations

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    """Reject anything that is not an IANA time-zone name."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"time_zone {value!r} is not an IANA time-zone name (e.g. America/New_York)")


class Clinic(models.Model):
    """A clinic: the tenant every patient row belongs to (and the future shard key)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    phone = models.CharField(max_length=40)
    # US defaults; a clinic elsewhere sets its own numbers.
    emergency_number = models.CharField(max_length=20, default="911")
    crisis_line = models.CharField(max_length=40, default="988")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """A staff user's role at one clinic; a user may work at several clinics."""

    class Role(models.TextChoices):
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"
        PRESCRIBER = "prescriber", "Prescriber"
        NURSE = "nurse", "Nurse"

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_user_and_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} at {self.clinic}"
