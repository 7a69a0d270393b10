"""Reads of the audit log: the clinic admin's report and the chain verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ketacare.audit.models import AccessEvent
from ketacare.audit.services import GENESIS_HASH
from ketacare.clinics.models import Clinic


def clinic_audit_events(
    *,
    clinic: Clinic,
    patient_public_id: str = "",
    user_email: str = "",
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> QuerySet[AccessEvent]:
    """Return the clinic's events (and its people's logins), newest first, filtered."""
    staff_ids = {str(u) for u in clinic.memberships.values_list("user__public_id", flat=True)}
    patient_ids = {
        str(u) for u in clinic.patients.exclude(user=None).values_list("user__public_id", flat=True)
    }
    people = staff_ids | patient_ids
    events = AccessEvent.objects.filter(
        Q(clinic_public_id=str(clinic.public_id)) | Q(clinic_public_id="", user_public_id__in=people)
    )
    if patient_public_id:
        events = events.filter(patient_public_id=patient_public_id)
    if user_email:
        events = events.filter(user_email__iexact=user_email)
    if date_from is not None:
        events = events.filter(occurred_at__gte=date_from)
    if date_to is not None:
        events = events.filter(occurred_at__lt=date_to)
    return events.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class ChainReport:
    """Result of walking the audit hash chain."""

    rows_checked: int
    ok: bool
    first_bad_id: int | None
    problem: str


def verify_chain() -> ChainReport:
    """Walk every row in id order, recomputing hashes; report the first row that does not match."""
    previous = GENESIS_HASH
    count = 0
    for event in AccessEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != previous:
            return ChainReport(
                count, False, event.pk, f"row {event.pk}: prev_hash does not match row before it"
            )
        if event.compute_hash() != event.row_hash:
            return ChainReport(count, False, event.pk, f"row {event.pk}: contents do not match its hash")
        previous = event.row_hash
    return ChainReport(count, True, None, "")
