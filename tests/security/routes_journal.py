"""Routes of the journal app in the authorisation matrix."""

from __future__ import annotations

import uuid

from tests.security.routes import Route, patient_kwargs

ROUTES: list[Route] = [
    Route(
        "journal:journal",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"idempotency_key": uuid.uuid4().hex, "text": "A calm day."},
    ),
    Route("journal:learn", "patient"),
    Route("journal:staff_journal", "staff_record", kwargs=patient_kwargs),
    Route(
        "api:write_journal_entry",
        "patient",
        methods=("POST",),
        api=True,
        ok={"POST": 201},
        data=lambda p, t: {"idempotency_key": uuid.uuid4().hex, "text": "A calm day."},
    ),
    Route("api:list_journal_entries", "patient", api=True),
]
