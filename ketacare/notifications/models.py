"""What reaches the patient outside the app: their channel choices, their phones' push subscriptions,
and a log of every delivery (sent, failed, or held back and why)."""

from __future__ import annotations

import datetime as dt

from django.db import models

from ketacare.patients.models import ClinicalRecord

# Clinic practice, not evidence: no prompt between 21:00 and 08:00 on the patient's clock unless they
# choose other hours; a safety follow-up ignores them.
DEFAULT_QUIET_START = dt.time(21, 0)
DEFAULT_QUIET_END = dt.time(8, 0)


# Callables, not the times themselves: Django's system check warns about a fixed time default whenever
# it runs within ten seconds of that time of day, which failed `check --deploy` at 08:00.
def default_quiet_start() -> dt.time:
    return DEFAULT_QUIET_START


def default_quiet_end() -> dt.time:
    return DEFAULT_QUIET_END


class Channel(models.TextChoices):
    PUSH = "push", "Notification on this phone (web push)"
    SMS = "sms", "Text message"
    EMAIL = "email", "E-mail"


class NotificationPreference(ClinicalRecord):
    """The patient's channels and quiet hours; without a row: e-mail only, default quiet hours."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="notification_preference"
    )
    push = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)
    email = models.BooleanField(default=True)
    phone = models.CharField(max_length=30, blank=True)
    phone_digits = models.CharField(max_length=30, blank=True)  # the number as digits only, for STOP
    quiet_start = models.TimeField(default=default_quiet_start)
    quiet_end = models.TimeField(default=default_quiet_end)
    # Set when the patient texted STOP; only START (or choosing text messages again here) clears it.
    sms_stopped_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # An inbound STOP finds the patient by their number.
            models.Index(fields=["phone_digits"], name="notif_pref_phone_idx"),
        ]

    def __str__(self) -> str:
        return "notification preferences"


class PushSubscription(ClinicalRecord):
    """One browser's push subscription (the endpoint and its keys, as the browser gave them)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "endpoint"], name="push_subscription_once"),
        ]

    def __str__(self) -> str:
        return "push subscription"


class Delivery(ClinicalRecord):
    """One message to one channel: its text (never health details), outcome and reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"  # written; the task queue sends it
        SENDING = "sending", "Being sent"  # a worker holds it (until SEND_LEASE ends)
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        HELD = "held", "Held back"  # quiet hours, opted out, no address: the reason says which

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)  # the page it opens (a retry sends the same)
    dedupe_key = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # tries to hand it to the channel so far
    safety = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # deliver(): was this prompt already sent on this channel?
            models.Index(fields=["patient", "dedupe_key", "status"], name="delivery_dedupe_idx"),
            # The retry job: failed (and stuck queued) deliveries, oldest first.
            models.Index(fields=["status", "created_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"
