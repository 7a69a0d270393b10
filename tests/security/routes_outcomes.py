"""Authorisation-matrix entries for the outcomes app (issue 5)."""

from __future__ import annotations

from tests.security.routes import Route

ROUTES: list[Route] = [
    Route("outcomes:page", "staff"),
    Route("outcomes:csv", "staff"),
    Route("api:outcomes_summary", "staff", api=True),
]
ROUTES.append(
    Route(
        "outcomes:timeline",
        "staff_record",
        kwargs=lambda personas, target: {"patient_id": str(target.public_id)},
    )
)
