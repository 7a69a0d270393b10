"""journal API router: the patient writes an entry (idempotent)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import ValidationError
from ninja.responses import Status

from ketacare.journal.models import JournalEntry
from ketacare.journal.schemas import JournalIn, JournalOut
from ketacare.journal.selectors import own_entries
from ketacare.journal.services import JournalError, write_journal_entry
from ketacare.patients.apiutil import body_doc, own_patient, parse_payload

router = Router(tags=["journal"])


@router.post(
    "/me/journal",
    response={201: JournalOut, 200: JournalOut},
    summary="Write a journal entry (patient); a retry with the same key returns the original",
    openapi_extra=body_doc(JournalIn),
    url_name="write_journal_entry",
)
def write_journal_entry_api(request: HttpRequest) -> Status[JournalEntry]:
    patient = own_patient(request, action="write")
    payload = parse_payload(request, JournalIn)
    try:
        outcome = write_journal_entry(
            patient=patient,
            text=payload.text,
            shared_with_clinic=payload.shared_with_clinic,
            prompt_id=payload.prompt_id,
            idempotency_key=payload.idempotency_key,
            now=timezone.now(),
        )
    except JournalError as error:
        raise ValidationError([{"loc": ("body", error.field), "msg": error.message}]) from None
    return Status(201 if outcome.created else 200, outcome.entry)


@router.get("/me/journal", response=list[JournalOut], summary="My journal entries, newest first (patient)")
def list_journal_entries(request: HttpRequest) -> list[JournalEntry]:
    patient = own_patient(request, action="read")
    return list(own_entries(patient=patient)[:200])
