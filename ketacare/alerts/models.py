"""Clinic alerts: the minimal row that patient submissions raise (issue 5 builds the inbox on it)."""

from __future__ import annotations

import uuid

from django.db import models


class Alert(models.Model):
    """Something about one patient that the clinic must see, assigned to the primary clinician."""

    class Source(models.TextChoices):
        RED_FLAG_CHECKIN = "red_flag_checkin", "Red flag in a check-in"
        PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9 (thoughts of self-harm)"
        SIDE_EFFECT_OVERDUE = "side_effect_overdue", "Side effect lasting longer than expected"
        VITAL_SIGN = "vital_sign", "Vital sign"
        WORSENING_TREND = "worsening_trend", "Worsening trend"
        MISSED_CHECKIN = "missed_checkin", "Missed check-in"
        DROPOUT_RISK = "dropout_risk", "Drop-out risk"
        REMS_DEADLINE = "rems_deadline", "REMS deadline"

    class Severity(models.TextChoices):
        # The same words as the core triage levels so a check-in's level maps one to one.
        INFO = "info", "Information"
        CONTACT_CLINIC = "contact_clinic", "Contact today"
        URGENT = "urgent", "Urgent"
        EMERGENCY = "emergency", "Emergency"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="alerts")
    source = models.CharField(max_length=30, choices=Source.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_alerts"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    # The same cause raises one alert however often it is submitted (e.g. "checkin:<public_id>").
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="alert_one_per_patient_and_dedupe_key",
            ),
        ]
        indexes = [
            # The clinic inbox: one clinic's open alerts, newest first.
            models.Index(fields=["clinic", "state", "-created_at"], name="alert_clinic_state_idx"),
            # A patient's alerts on their staff page.
            models.Index(fields=["patient", "-created_at"], name="alert_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"
