"""The message thread between a patient and their care team (one thread per patient, no attachments)."""

from __future__ import annotations

from django.db import models

from ketacare.patients.models import ClinicalRecord

BODY_MAX_CHARS = 2000  # the same bound as a check-in's "Something else?" text (checkins.models)
# Clinic practice, not a published standard: a message is answered within one day unless the clinic
# sets its own time (MessagePolicy); past it the message raises an alert that escalates like any other.
DEFAULT_RESPONSE_TIME_MIN = 24 * 60
RESPONSE_TIME_RANGE_MIN = (30, 7 * 24 * 60)


class Message(ClinicalRecord):
    """One message, written by the patient or by a member of the care team."""

    class Author(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Care team"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX_CHARS)
    sent_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64)
    # The core free-text screen of a patient's message (level, red flags, matched words), as stored JSON.
    screen = models.JSONField(default=dict, blank=True)
    # A patient message: when the care team first answered after it (an answer covers every earlier one).
    answered_at = models.DateTimeField(null=True, blank=True)
    # When the response time passed without an answer and the message raised its alert.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The alert this message raised (a red flag, a late answer) or staff turned it into.
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The check-in the care team recorded from this patient message. A plain id, not a foreign key:
    # check-ins live in a sibling record app that messaging may not import (docs/decisions/0020).
    checkin_public_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "idempotency_key"], name="message_idempotency_key"),
        ]
        indexes = [
            # The thread: one patient's messages in order.
            models.Index(fields=["patient", "sent_at"], name="message_thread_idx"),
            # The clinic inbox and the escalation job: unanswered patient messages, oldest first.
            models.Index(
                fields=["clinic", "author_kind", "answered_at", "sent_at"], name="message_unanswered_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.sent_at:%Y-%m-%d %H:%M}"


class MessagePolicy(models.Model):
    """A clinic's response time for patient messages; without a row the default applies."""

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.PROTECT, related_name="message_policy")
    response_time_min = models.PositiveIntegerField(default=DEFAULT_RESPONSE_TIME_MIN)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response_time_min__gte=RESPONSE_TIME_RANGE_MIN[0])
                & models.Q(response_time_min__lte=RESPONSE_TIME_RANGE_MIN[1]),
                name="message_response_time_range",
            ),
        ]

    def __str__(self) -> str:
        return f"answer within {self.response_time_min} min"
