"""Authorisation-matrix entries for the alerts inbox (issue 5).

Object routes name an alert; the builder raises a fresh open (or acknowledged) alert about the
target patient, so each case acts on its own alert in the target patient's clinic. The held-dose rows
raise theirs through a check-in with urinary symptoms, as production does: only a prescriber resolves it.
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


def _held_dose_alert(target: Any, *, acknowledged: bool) -> Any:
    """The alert a check-in with urinary symptoms raises, which pauses the next dose (decision 0012
    rule 9), built through the services (docs/decisions/0023); acknowledged by the patient's clinician."""
    import uuid

    from django.utils import timezone

    from ketacare.alerts.services import acknowledge_alert
    from ketacare.checkins.services import ReportIn, submit_checkin

    checkin = submit_checkin(
        patient=target,
        idempotency_key=uuid.uuid4().hex,
        reports=[ReportIn("urinary_symptoms", "moderate")],
        mood=None,
        note="",
        now=timezone.now(),
    ).checkin
    alert = target.alerts.get(dedupe_key=f"checkin:{checkin.public_id}")
    assert alert.needs_prescriber, "the check-in's hold must make its alert a prescriber's to resolve"
    if acknowledged:
        alert = acknowledge_alert(alert=alert, user=target.primary_clinician, note="Called; no fever.")
    return alert


def open_held_dose_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_held_dose_alert(target, acknowledged=False).public_id)}


def acknowledged_held_dose_alert_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"alert_id": str(_held_dose_alert(target, acknowledged=True).public_id)}


def _note(personas: Any, target: Any) -> dict[str, Any]:
    return {"note": "Called the patient; safe at home."}


ROUTES: list[Route] = [
    Route("alerts:inbox", "staff"),
    Route(
        "alerts:policy",
        "admin",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"escalate_after_min": "45", "emergency_escalate_after_min": "5"},
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
    # An alert that holds the next dose: any staff of the clinic acknowledges it, but resolving it lifts
    # the hold, so only a prescriber may (the clinic admin, no prescriber, gets 403 and nothing changes;
    # ketacare/alerts/tests/test_prescriber_resolves_held_dose.py does the same for a nurse).
    Route(
        "alerts:acknowledge",
        "staff_record",
        methods=("POST",),
        kwargs=open_held_dose_alert_kwargs,
        ok={"POST": 302},
        data=_note,
    ),
    Route(
        "alerts:resolve",
        "staff_record",
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=acknowledged_held_dose_alert_kwargs,
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
    # The held dose's alert through the API, as on the pages above.
    Route(
        "api:acknowledge_alert",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=open_held_dose_alert_kwargs,
        data=_note,
    ),
    Route(
        "api:resolve_alert",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=acknowledged_held_dose_alert_kwargs,
        data=_note,
    ),
]
