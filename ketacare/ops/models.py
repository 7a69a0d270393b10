"""The outbox: every e-mail KetaCare sends is a row here first, delivered by the task queue."""

from __future__ import annotations

import uuid

from django.db import models


class OutboundEmail(models.Model):
    """One message waiting for, or done with, delivery (docs/decisions/0018).

    The row is written in the transaction of the change that caused it (a reminder claimed, an alert
    escalated), so a rolled-back change sends nothing and a committed one cannot lose its message when
    a process dies before the queue picks it up: the sweep job finds every due ``pending`` row.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (no more attempts)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    subject = models.CharField(max_length=998)
    body = models.TextField()
    from_email = models.CharField(max_length=320)
    # Recipients as a list of addresses; one message may go to several.
    to = models.JSONField()
    # The first recipient, lower-cased: lets a clinic admin see the mail to their clinic's people.
    recipient = models.CharField(max_length=320)
    # [[content, mimetype], ...] for an HTML part beside the text.
    alternatives = models.JSONField(default=list)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt may start; a `sending` row whose lease passed is picked up again.
    next_attempt_at = models.DateTimeField()
    # The exception's class and message of the last failure: an operator's clue, never the body.
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweep: due rows of one state, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="ops_outbox_due_idx"),
            # The clinic admin's mail page: messages to one clinic's addresses, newest first.
            models.Index(fields=["recipient", "-created_at"], name="ops_outbox_recipient_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempts__lte=100), name="ops_outbox_attempts_bounded"),
        ]

    def __str__(self) -> str:
        return f"e-mail {self.public_id} ({self.state})"
