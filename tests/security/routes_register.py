"""Routes of the controlled-drug register in the authorisation matrix (docs/decisions/0021).

Nurses and prescribers record (the clinic admin gets 403 on those POSTs: `prescriber_methods`, as
the personas have no nurse); administrators configure and see reports; patients never reach any of it.
A POST with an empty form re-renders with its errors (422; the run-sheet panel 200, for htmx), so
every allowed persona gets the same answer whether or not its clinic keeps a register.

A count difference raises a clinic-level alert (no patient) in the alerts inbox: the alert routes
answer for it as for a patient's alert (staff of its clinic only; patients 404), and their audit
row names the clinic. Resolving it in the inbox is refused with a message (302): only the
investigation note resolves it.
"""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route


def session_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from tests.support.treatments import make_session

    return {"session_id": str(make_session(target, state="checked_in").public_id)}


def prepare_extract(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    today = timezone.now().date()
    return {"report": "extract", "start": today.replace(day=1).isoformat(), "end": today.isoformat()}


def _count_alert(target: Any, *, state: str = "open") -> Any:
    from ketacare.alerts.models import Alert

    return Alert.objects.create(
        clinic_id=target.clinic_id,
        patient=None,
        source=Alert.Source.REGISTER_COUNT,
        severity=Alert.Severity.URGENT,
        title="Count difference of -500 mg: matrix lot",
        state=state,
    )


def count_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_count_alert(target).public_id)}


def acknowledged_count_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_count_alert(target, state="acknowledged").public_id)}


def _note(personas: Any, target: Any) -> dict[str, Any]:
    return {"note": "Checking the sharps bin and the day's run-sheets."}


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
    # Asking the queue for a long report's PDF: administrators only; the export's own page and download
    # answer only the administrator who asked (routes_ops.py).
    Route("register:report_prepare", "admin", methods=("POST",), ok={"POST": 302}, data=prepare_extract),
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
    # The count-difference alert in the inbox (a clinic-level alert).
    Route("alerts:detail", "staff_clinic", kwargs=count_alert_kwargs),
    Route(
        "alerts:acknowledge",
        "staff_clinic",
        methods=("POST",),
        kwargs=count_alert_kwargs,
        ok={"POST": 302},
        data=_note,
    ),
    Route(
        "alerts:resolve",
        "staff_clinic",
        methods=("POST",),
        kwargs=acknowledged_count_alert_kwargs,
        ok={"POST": 302},
        data=_note,
    ),
    Route("api:get_alert", "staff_clinic", api=True, kwargs=count_alert_kwargs),
    Route(
        "api:acknowledge_alert",
        "staff_clinic",
        api=True,
        methods=("POST",),
        kwargs=count_alert_kwargs,
        data=_note,
    ),
]
