"""Authorisation-matrix entries for the alerts inbox (issue 5).

Object routes name an alert; the builder raises a fresh open (or acknowledged) alert about the
target patient, so each case acts on its own alert in the target patient's clinic.
"""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route


def _alert(target: Any, *, state: str = "open") -> Any:
    from ketacare.alerts.models import Alert

    return Alert.objects.create(
        clinic_id=target.clinic_id,
        patient=target,
        source=Alert.Source.RED_FLAG_CHECKIN,
        severity=Alert.Severity.URGENT,
        title="Matrix alert",
        assignee_id=target.primary_clinician_id,
        state=state,
    )


def open_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_alert(target).public_id)}


def acknowledged_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_alert(target, state="acknowledged").public_id)}


def _note(personas: Any, target: Any) -> dict[str, Any]:
    return {"note": "Called the patient; safe at home."}


ROUTES: list[Route] = [
    Route("alerts:inbox", "staff"),
    Route(
        "alerts:policy",
        "admin",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"escalate_after_min": "45"},
    ),
    Route("alerts:detail", "staff_record", kwargs=open_alert_kwargs),
    Route(
        "alerts:acknowledge",
        "staff_record",
        methods=("POST",),
        kwargs=open_alert_kwargs,
        ok={"POST": 302},
        data=_note,
    ),
    Route(
        "alerts:resolve",
        "staff_record",
        methods=("POST",),
        kwargs=acknowledged_alert_kwargs,
        ok={"POST": 302},
        data=_note,
    ),
]
ROUTES += [
    Route("api:list_alerts", "staff", api=True),
    Route("api:get_alert", "staff_record", api=True, kwargs=open_alert_kwargs),
    Route(
        "api:acknowledge_alert",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=open_alert_kwargs,
        data=_note,
    ),
    Route(
        "api:resolve_alert",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=acknowledged_alert_kwargs,
        data=_note,
    ),
]
