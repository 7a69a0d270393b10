"""Routes of the controlled-drug register in the authorisation matrix (docs/decisions/0021).

Nurses and prescribers record (the clinic admin gets 403 on those POSTs: `prescriber_methods`, as
the personas have no nurse); administrators configure and see reports; patients never reach any of it.
A POST with an empty form re-renders with its errors (422; the run-sheet panel 200, for htmx), so
every allowed persona gets the same answer whether or not its clinic keeps a register.
"""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route


def session_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.treatments.tests.factories import make_session

    return {"session_id": str(make_session(target, state="checked_in").public_id)}


RECORDING = {"methods": ("GET", "POST"), "ok": {"POST": 422}, "prescriber_methods": ("POST",)}

ROUTES: list[Route] = [
    Route("register:home", "staff"),
    Route("register:ledger", "staff"),
    Route("register:receive", "staff", **RECORDING),
    Route("register:count", "staff", **RECORDING),
    Route("register:correction", "staff", **RECORDING),
    # Administrators and prescribers investigate and report losses: all the staff personas.
    Route("register:investigate", "staff", methods=("POST",), ok={"POST": 422}),
    Route("register:loss", "staff", methods=("GET", "POST"), ok={"POST": 422}),
    Route("register:settings", "admin", methods=("GET", "POST"), ok={"POST": 422}),
    Route("register:reports", "admin"),
    Route("register:extract_csv", "admin"),
    Route("register:extract_pdf", "admin"),
    Route("register:inventory_pdf", "admin"),
    Route("register:inspection_pdf", "admin"),
    Route("register:session_panel", "staff_record", kwargs=session_kwargs),
    Route(
        "register:draw",
        "staff_record",
        methods=("POST",),
        kwargs=session_kwargs,
        prescriber_methods=("POST",),
    ),
    Route(
        "register:close_draw",
        "staff_record",
        methods=("POST",),
        kwargs=session_kwargs,
        prescriber_methods=("POST",),
    ),
    Route("api:register_stock", "admin", api=True),
    Route("api:register_entries", "admin", api=True),
]
