"""Routes of the interop app (My records) in the authorisation matrix."""

from __future__ import annotations

from tests.security.routes import Route

ROUTES: list[Route] = [
    Route("interop:records", "patient"),
    Route("interop:records_fhir", "patient"),
    Route("interop:records_csv", "patient"),
    Route("interop:records_pdf", "patient"),
]
