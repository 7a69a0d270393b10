"""The outbox: every e-mail KetaCare sends is a row here first, delivered by the task queue."""

from __future__ import annotations

import uuid

from django.db import models

from ketacare.ops.transport import stand_in


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
        # Taken by a backend that delivers nothing (the console's log, a file): nobody received it.
        NOT_SENT = "not_sent", "Not sent: e-mail is not set up"
        FAILED = "failed", "Failed (no more attempts)"
        # Taken back before it left: what it announced no longer holds (a withdrawn invitation's link).
        CANCELLED = "cancelled", "Cancelled: will not be sent"

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
    # When the backend took it (for a `not_sent` row: when it was printed or filed).
    sent_at = models.DateTimeField(null=True, blank=True)
    # The dotted path of the backend that took it, kept so that what the row says happened does not
    # change with the configuration; empty until it leaves the queue.
    transport = models.CharField(max_length=200, blank=True)
    # What the message announces, as "kind:public id" (a patient invitation's), set when it is queued:
    # taking that thing back cancels this message and no other, even when another record at the clinic
    # shares the address. Empty for messages that nothing takes back.
    about_key = models.CharField(max_length=80, blank=True)

    class Meta:
        indexes = [
            # The sweep: due rows of one state, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="ops_outbox_due_idx"),
            # Withdrawing what a message announces finds its messages.
            models.Index(
                fields=["about_key"], name="ops_outbox_about_idx", condition=~models.Q(about_key="")
            ),
            # The clinic admin's mail page: messages to one clinic's addresses, newest first.
            models.Index(fields=["recipient", "-created_at"], name="ops_outbox_recipient_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempts__lte=100), name="ops_outbox_attempts_bounded"),
        ]

    def __str__(self) -> str:
        return f"e-mail {self.public_id} ({self.state})"

    @property
    def status_label(self) -> str:
        """The state in words; a message nobody received says where it went instead."""
        if self.state == self.State.NOT_SENT:
            instead = stand_in(self.transport)
            if instead is not None:
                return instead.row
        return self.get_state_display()


class PreparedExport(models.Model):
    """A large export rendered by the task queue for the one user who asked (docs/decisions/0018).

    The file lives in the database (``PreparedExportChunk``), not on one machine's disk, so any web node
    can hand it to its requester whichever worker rendered it. It is removed when it expires.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be prepared"
        EXPIRED = "expired", "Expired and removed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One of the kinds registered in ketacare.ops.exports (e.g. "audit_csv").
    kind = models.CharField(max_length=40)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the requester chose (filters), as the kind's renderer reads them.
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Each claim by a worker is one attempt; chunks carry the attempt that wrote them.
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker holds a running export this long; after it, another worker may start it again.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Rows counted when it was asked for (the progress shown is rows written of these).
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    filename = models.CharField(max_length=120)
    # The exception's class only: never the data being exported.
    error = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A requester's recent exports of one kind, newest first.
            models.Index(fields=["requested_by", "kind", "-created_at"], name="ops_export_mine_idx"),
            # The expiry sweep.
            models.Index(fields=["state", "expires_at"], name="ops_export_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempts__lte=100), name="ops_export_attempts_bounded"),
        ]

    def __str__(self) -> str:
        return f"export {self.public_id} ({self.kind}, {self.state})"


class PreparedExportChunk(models.Model):
    """One piece (at most ``CHUNK_BYTES``) of a prepared export's file, in order of ``seq``."""

    export = models.ForeignKey(PreparedExport, on_delete=models.CASCADE, related_name="chunks")
    attempt = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "attempt", "seq"], name="ops_export_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.seq} of {self.export_id}"
