"""Patients: each belongs to exactly one clinic."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from django.db import models
from django.utils import timezone

from ketacare.clinics.models import validate_time_zone
from ketacare.lib.choices import labels_looked_up_once
from ketacare.patients.search import search_text

# The fields ``Patient.search_text`` is made from.
SEARCHED_FIELDS = frozenset({"full_name", "preferred_name", "medical_record_number"})


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


def _with_search_text(patient: Patient) -> Patient:
    patient.search_text = search_text(
        full_name=patient.full_name,
        preferred_name=patient.preferred_name,
        medical_record_number=patient.medical_record_number,
    )
    return patient


class PatientQuerySet(models.QuerySet["Patient"]):
    """Bulk writes keep ``search_text`` in step too (they skip ``Patient.save``)."""

    # The rows are typed Any: django-stubs leaves this queryset's model unbound (a forward reference).
    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        rows: list[Any] = [_with_search_text(p) for p in objs]
        return super().bulk_create(
            rows,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )

    def bulk_update(self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None) -> int:
        fields = list(fields)
        if SEARCHED_FIELDS & set(fields):
            objs = [_with_search_text(p) for p in objs]
            fields.append("search_text")
        return super().bulk_update(objs, fields, batch_size=batch_size)


@labels_looked_up_once
class Patient(models.Model):
    """A person treated at one clinic; reached only through `access_patient`."""

    class Stage(models.TextChoices):
        SCREENING = "screening", "Screening"
        INDUCTION = "induction", "Induction"
        MAINTENANCE = "maintenance", "Maintenance"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    class Sex(models.TextChoices):
        # FHIR administrative gender (http://hl7.org/fhir/administrative-gender), as intake records it.
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="patient"
    )
    full_name = models.CharField(max_length=200)
    # What the clinic calls the patient ("Sam" for Samantha); the legal name stays in full_name.
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    # How the clinic reaches the patient; the companion invitation goes to the e-mail address.
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
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
    # Archived patients leave the lists but keep every record; restoring clears both.
    archived_at = models.DateTimeField(null=True, blank=True)
    archive_reason = models.CharField(max_length=500, blank=True)
    # The names and record number as plain lower-case words (patients.search), written on every save.
    search_text = models.TextField(blank=True, default="", editable=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["full_name"]
        indexes = [
            # The staff patient list: one clinic's patients ordered by name, searched by prefix.
            models.Index(fields=["clinic", "full_name"], name="patient_clinic_name_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or SEARCHED_FIELDS & set(update_fields):
            _with_search_text(self)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def display_name(self) -> str:
        """The name to greet the patient with: the preferred name when there is one."""
        return self.preferred_name or self.full_name

    def title_label(self) -> str:
        """How titles and staff calendar entries name the patient: initials and record number by default."""
        if self.clinic.names_in_titles:
            return self.full_name
        initials = "".join(f"{word[0].upper()}." for word in self.full_name.split() if word[:1].isalpha())
        return f"{initials or 'Patient'} {self.medical_record_number or str(self.public_id)[:8]}"


class PatientChange(ClinicalRecord):
    """One corrected demographic field with its old and new value (docs/decisions/0011).

    The audit log holds plain identifiers only; this row keeps what the correction replaced, tied to
    the request's audit row by ``request_id``. Rows are written by ``correct_patient`` only and never
    changed.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=254, blank=True)
    new_value = models.CharField(max_length=254, blank=True)
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The request's id, as in the audit row that request left: joins the two.
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} changed"


class PatientInvitation(ClinicalRecord):
    """An e-mailed, expiring, single-use link that lets a patient set a password for the companion.

    Only a SHA-256 digest of the secret is stored. Sending again replaces the pending invitation.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Sent, not yet accepted"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        # Taken back by the clinic: replaced by a newer one, its address corrected, or the patient
        # archived. Staff see the latest invitation only, which nothing newer replaced.
        REVOKED = "revoked", "Withdrawn"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(max_length=254)
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return "patient invitation"

    def status_at(self, now: dt.datetime | None = None) -> str:
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
