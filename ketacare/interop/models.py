"""Interop: backend clients (SMART Backend Services), access tokens for programs, bulk export jobs."""

from __future__ import annotations

import uuid

from django.db import models


class BackendClient(models.Model):
    """A program of one clinic (an EHR integration) that signs its token requests with a registered key.

    The clinic admin registers the client's public keys (a JWKS) and the scopes it may ask for; the
    client never holds a shared secret (SMART Backend Services, docs/decisions/0019).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # What the client names itself as (iss and sub of its assertions): random, not a secret.
    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    jwks = models.JSONField()
    # The scopes the client may ask for, space-separated (e.g. "system/Patient.rs system/Observation.rs").
    scopes = models.CharField(max_length=1000)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class UsedAssertion(models.Model):
    """A client assertion's ``jti`` seen once: a replayed assertion is refused until it has expired."""

    client = models.ForeignKey(BackendClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="one_use_per_assertion")]

    def __str__(self) -> str:
        return f"assertion {self.jti[:16]}"


class AccessToken(models.Model):
    """A bearer token for a program: only its SHA-256 digest is stored; scoped, expiring, revocable.

    ``backend``: issued to a BackendClient (short-lived, system scopes of the client's clinic).
    ``personal``: made by a signed-in user for their own scripts on the JSON API (acts as that user).
    """

    class Kind(models.TextChoices):
        BACKEND = "backend", "Backend client"
        PERSONAL = "personal", "Personal access token"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    client = models.ForeignKey(
        BackendClient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120, blank=True)
    scopes = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} token {self.public_id}"


class BulkExportJob(models.Model):
    """One system-level ``$export`` of a clinic, run in slices so that it can stop and resume.

    ``last_patient_pk`` is the cursor: every patient of the clinic with a larger key is still to do.
    The task queue runs the slices (``services.run_bulk_export``); ``progressed_at`` is when the last
    slice was saved, which the sweep reads to find a job whose run was lost.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(
        BackendClient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resource_types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    last_patient_pk = models.BigIntegerField(default=0)
    patients_done = models.PositiveIntegerField(default=0)
    patients_total = models.PositiveIntegerField(default=0)
    transaction_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Bulk export {self.public_id} ({self.status})"


class BulkExportFile(models.Model):
    """The NDJSON lines of one resource type of one export (one resource per line)."""

    job = models.ForeignKey(BulkExportJob, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    ndjson = models.TextField(blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "resource_type"], name="one_file_per_type_per_export")
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}.ndjson ({self.count})"


class WebhookEndpoint(models.Model):
    """A clinic's receiver for alert events: its URL, the shared secret the deliveries are signed with.

    The secret is kept as given (the HMAC needs it) and never shown again; disabling keeps the row and
    its delivery log (docs/decisions/0019).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    # The event types delivered, e.g. ["alert.created", "alert.escalated"].
    events = models.JSONField(default=list)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook {self.public_id}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the payload (ids and severity only), its attempts and their outcome.

    Written in the transaction that raised or escalated the alert (the outbox), delivered by the task
    queue; one row per endpoint, event and alert, so a repeated event is never sent twice.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=40)
    alert_public_id = models.UUIDField()
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "alert_public_id"], name="one_delivery_per_event_per_endpoint"
            )
        ]
        indexes = [
            # The sweep: due deliveries, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} delivery {self.public_id} ({self.state})"
