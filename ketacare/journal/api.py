"""journal API router: the patient writes an entry (idempotent)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from ketacare.journal.models import JournalEntry
from ketacare.journal.schemas import JournalIn, JournalOut
from ketacare.journal.selectors import own_entries
from ketacare.journal.services import write_journal_entry
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import body_doc, own_patient, parse_payload, submission_responses, submitted

router = Router(tags=["journal"])


@router.post(
    "/me/journal",
    response=submission_responses(JournalOut),
    summary="Write a journal entry (patient); a retry with the same key returns the original",
    openapi_extra=body_doc(JournalIn),
    url_name="write_journal_entry",
)
def write_journal_entry_api(request: HttpRequest) -> Status[JournalEntry]:
    patient = own_patient(request, action="write")
    payload = parse_payload(request, JournalIn)
    outcome = write_journal_entry(
        patient=patient,
        text=payload.text,
        shared_with_clinic=payload.shared_with_clinic,
        prompt_id=payload.prompt_id,
        idempotency_key=payload.idempotency_key,
        now=timezone.now(),
    )
    return submitted(outcome.entry, outcome.created)


@router.get("/me/journal", response=list[JournalOut], summary="My journal entries, newest first (patient)")
@paginate(LinkedPagination)
def list_journal_entries(request: HttpRequest) -> QuerySet[JournalEntry]:
    patient = own_patient(request, action="read")
    return own_entries(patient=patient)
