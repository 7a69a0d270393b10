"""The append-only, hash-chained access-event log (docs/security.md S6, S7)."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.db import models

from ketacare.audit.keys import key_for


class AccessEvent(models.Model):
    """One access to patient data or one login attempt; never updated, never deleted."""

    class Action(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        EXPORT = "export", "Export"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        MFA = "mfa", "Second factor"

    class Outcome(models.TextChoices):
        GRANTED = "granted", "Granted"
        DENIED = "denied", "Denied"
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    occurred_at = models.DateTimeField(db_index=True)
    # Plain values, not foreign keys: the log outlives the rows it describes and must not
    # block their deactivation; ids are public ids (UUIDs) or the attempted login e-mail.
    user_public_id = models.CharField(max_length=64, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_public_id = models.CharField(max_length=64, blank=True)
    clinic_public_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True)
    # The seal, written once by the sealer after the row's transaction commits (NULL until then;
    # docs/decisions/0016): `seq` is the row's place in the chain, which is the order of sealing.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    row_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)  # noqa: DJ001
    # NULL marks rows chained before the chain was keyed (plain SHA-256); a keyed row names the key
    # that sealed it (HMAC-SHA-256), so a rotated key still verifies the rows it sealed.
    key_id = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Audit report filtered by clinic, newest first.
            models.Index(fields=["clinic_public_id", "-occurred_at"], name="audit_clinic_time_idx"),
            # Audit report filtered by patient.
            models.Index(fields=["patient_public_id", "-occurred_at"], name="audit_patient_time_idx"),
            # The route-list test and "who did what": one request's rows.
            models.Index(fields=["request_id"], name="audit_request_idx"),
            # The sealer's queue: rows not yet in the chain, oldest first.
            models.Index(fields=["id"], condition=models.Q(row_hash__isnull=True), name="audit_unsealed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, prev_hash__isnull=True, row_hash__isnull=True)
                | models.Q(seq__isnull=False, prev_hash__isnull=False, row_hash__isnull=False),
                name="audit_sealed_all_or_nothing",
            )
        ]

    CHAINED_FIELDS = (
        "occurred_at",
        "user_public_id",
        "user_email",
        "role",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "patient_public_id",
        "clinic_public_id",
        "ip_address",
        "request_id",
        "method",
        "path",
    )

    # What the sealer writes; everything else is fixed at insert.
    SEAL_FIELDS = ("seq", "prev_hash", "row_hash", "key_id")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.user_email or 'anonymous'} {self.action} {self.outcome}"

    def compute_hash(self, key: bytes | None = None) -> str:
        """The seal over the previous row's hash and this row's fields, in a fixed order.

        HMAC-SHA-256 with the key named by ``key_id`` (``key`` may be passed to skip the lookup);
        plain SHA-256 for the rows written before the chain was keyed (``key_id`` NULL).
        """
        payload = {name: getattr(self, name) for name in self.CHAINED_FIELDS}
        payload["occurred_at"] = self.occurred_at.isoformat()
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        message = ((self.prev_hash or "") + body).encode()
        if self.key_id is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(key or key_for(self.key_id), message, hashlib.sha256).hexdigest()
