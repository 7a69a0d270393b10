"""Reads of the audit log: the clinic admin's report and the chain verification."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ketacare.audit.anchors import Anchor
from ketacare.audit.keys import UnknownAuditKeyError
from ketacare.audit.models import AccessEvent
from ketacare.audit.services import GENESIS_HASH
from ketacare.audit.words import is_read_of_a_change
from ketacare.clinics.models import Clinic
from ketacare.patients.models import Patient
from ketacare.patients.search import query_words

# How many patients a filter's words may name before the report asks for more of the name.
PATIENT_MATCHES_SHOWN = 5


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


def reads_of_unwritten_changes(events: Iterable[AccessEvent]) -> set[int]:
    """The ids of the rows among ``events`` that are reads by a request that asked for a change and
    wrote nothing: no granted write by the same person in the same request (a refused dose, vital signs
    out of range; docs/decisions/0029). One query, none when no row is such a read."""
    asked = [e for e in events if e.request_id and is_read_of_a_change(e)]
    if not asked:
        return set()
    wrote = set(
        AccessEvent.objects.filter(
            request_id__in={e.request_id for e in asked},
            action=AccessEvent.Action.WRITE,
            outcome=AccessEvent.Outcome.GRANTED,
        ).values_list("request_id", "user_public_id", "path")
    )
    return {e.pk for e in asked if (e.request_id, e.user_public_id, e.path) not in wrote}


def patients_named(*, clinic: Clinic, words: str) -> list[Patient]:
    """The clinic's patients (archived ones too: their events stay) that the audit filter's words name.

    The words are the id the report's own links carry, a record number, a whole name, or words of the
    name or record number as the patient list searches them (accents, case and order aside: "chloe",
    "smith aaron", "000016"), tried in that order; the first that finds anyone answers (at most one more than
    ``PATIENT_MATCHES_SHOWN``, so the caller can tell "several" from "too many to list").
    """
    words = " ".join(words.split())
    patients = Patient.objects.filter(clinic=clinic)
    try:
        key = uuid.UUID(words)
    except ValueError:
        key = None
    if key is not None:
        return list(patients.filter(public_id=key))
    searched = query_words(words)
    for found in (
        patients.filter(medical_record_number__iexact=words).exclude(medical_record_number=""),
        patients.filter(full_name__iexact=words),
        patients.filter(*(Q(search_text__contains=word) for word in searched))
        if searched
        else patients.none(),
    ):
        matches = list(found.order_by("full_name", "id")[: PATIENT_MATCHES_SHOWN + 1])
        if matches:
            return matches
    return []


@dataclass(frozen=True)
class ChainReport:
    """Result of walking the audit hash chain (and checking it against the anchors, when given)."""

    rows_checked: int
    ok: bool
    first_bad_id: int | None
    problem: str
    anchors_checked: int = 0
    # Rows committed but not yet sealed: not in the chain yet, so nothing protects them until the
    # sealer runs (docs/decisions/0016).
    pending: int = 0


def verify_chain(anchors: list[Anchor] | None = None) -> ChainReport:
    """Walk every sealed row in chain order, recomputing each seal; report the first row or anchor that fails.

    The walk alone detects an edited or removed row inside the chain. The anchors (signed heads written
    outside the database by ``ketacare audit-anchor``) also detect a cut-off end, a chain rewritten
    with a key the installation does not hold, and a replaced table.
    """
    anchors = anchors or []
    for anchor in anchors:
        problem = anchor.signature_problem()
        if problem:
            return ChainReport(0, False, None, problem)
    # A row carrying a seal but no place in the chain was written around the sealer.
    stray = AccessEvent.objects.filter(seq__isnull=True).exclude(row_hash__isnull=True).order_by("id").first()
    if stray is not None:
        return ChainReport(0, False, stray.pk, f"row {stray.pk}: sealed outside the chain (no place in it)")
    pending = AccessEvent.objects.filter(row_hash__isnull=True).count()
    by_last_id = {a.last_id: a for a in anchors}
    previous = GENESIS_HASH
    count = 0
    keyed_seen = False
    for event in AccessEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != previous:
            return ChainReport(
                count, False, event.pk, f"row {event.pk}: prev_hash does not match row before it"
            )
        if event.key_id is None and keyed_seen:
            return ChainReport(count, False, event.pk, f"row {event.pk}: unkeyed row after keyed rows")
        keyed_seen = keyed_seen or event.key_id is not None
        try:
            sealed = event.compute_hash()
        except UnknownAuditKeyError as error:
            return ChainReport(count, False, event.pk, f"row {event.pk}: {error}")
        if sealed != event.row_hash:
            return ChainReport(count, False, event.pk, f"row {event.pk}: contents do not match its hash")
        anchored = by_last_id.pop(event.pk) if event.pk in by_last_id else None
        if anchored is not None and (anchored.rows != count or anchored.last_hash != event.row_hash):
            return ChainReport(
                count,
                False,
                event.pk,
                f"row {event.pk}: differs from the anchor of {anchored.anchored_at} "
                f"({anchored.rows} rows ending in {anchored.last_hash[:12]}…)",
            )
        previous = str(event.row_hash)
    if by_last_id:
        missing = min(by_last_id.values(), key=lambda a: a.last_id)
        return ChainReport(
            count,
            False,
            None,
            f"the anchor of {missing.anchored_at} ends at row {missing.last_id} after {missing.rows} rows; "
            f"the database has {count} rows and not that one (rows removed or the table replaced)",
            len(anchors),
            pending,
        )
    return ChainReport(count, True, None, "", len(anchors), pending)
