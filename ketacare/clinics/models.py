"""The organisation, its clinics, the staff who work at them and the invitations that bring staff in."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    """Reject anything that is not an IANA time-zone name."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"time_zone {value!r} is not an IANA time-zone name (e.g. America/New_York)")


class Organisation(models.Model):
    """The body that runs the clinics of one installation; `ketacare setup` creates it once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    """A clinic: the tenant every patient row belongs to (and the future shard key)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Null for clinics made before organisations existed (the demo and the test personas).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="clinics"
    )
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    phone = models.CharField(max_length=40)
    # US defaults; a clinic elsewhere sets its own numbers.
    emergency_number = models.CharField(max_length=20, default="911")
    crisis_line = models.CharField(max_length=40, default="988")
    # What a patient is told outside opening hours instead of "call the clinic": a number that is
    # answered then (an on-call line), and what to do. Empty: the crisis line and emergency number.
    after_hours_phone = models.CharField(max_length=40, blank=True)
    after_hours_instructions = models.CharField(max_length=500, blank=True)
    # The clinic's own fasting rule as patients read it; the sourced per-route rules still apply.
    fasting_instructions = models.TextField(max_length=2000, blank=True)
    # Browser history, synced tabs and third-party calendars keep page titles and event names: by
    # default they carry initials and the record number, not the name (a workstation may opt in).
    names_in_titles = models.BooleanField(default=False)
    # The clinic's own limits for a blood pressure a patient measures at home: a reading strictly above
    # either sends the patient to the clinic (core.home_bp.BpHoldLimits; the sourced crisis levels
    # apply whatever is set here). Both empty: only the sourced levels.
    home_bp_hold_systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    home_bp_hold_diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    # Who unacknowledged alerts escalate to; empty: the longest-standing active clinic admin. Only an
    # active admin or prescriber of this clinic counts (clinics.selectors.escalation_recipient).
    escalation_contact = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class OpeningHours(models.Model):
    """When the clinic answers its phone on one weekday (local time); a day without a row is closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="one_opening_interval_per_weekday"),
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")), name="opening_hours_open_before_close"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="opening_hours_weekday_0_to_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class StaffMembership(models.Model):
    """A staff user's role at one clinic; a user may work at several clinics."""

    class Role(models.TextChoices):
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"
        PRESCRIBER = "prescriber", "Prescriber"
        NURSE = "nurse", "Nurse"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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


class StaffInvitation(models.Model):
    """An e-mailed, expiring, single-use link that makes its holder staff of one or more clinics.

    Only a SHA-256 digest of the link's secret is stored, so a copy of the database cannot be used to
    accept an invitation (docs/decisions/0011).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Replaced or withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=StaffMembership.Role.choices)
    clinics = models.ManyToManyField(Clinic, related_name="staff_invitations")
    invited_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["email", "accepted_at", "revoked_at"], name="staffinv_email_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"

    def status_at(self, now: dt.datetime | None = None) -> str:
        """Pending, accepted, expired or revoked at ``now`` (default: the current time)."""
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if (now or timezone.now()) >= self.expires_at:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label
