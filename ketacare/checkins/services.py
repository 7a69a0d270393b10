"""Writes for check-ins: triage on the spot, symptom durations, and red-flag alerts in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.checkins.models import (
    MOOD_MAX,
    MOOD_MIN,
    NOTE_MAX_CHARS,
    PreparationTick,
    SymptomCheckin,
    SymptomReport,
)
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.core.triage import SEVERITIES, Severity, TriageResult, triage
from ketacare.core.triage import SymptomReport as CoreReport
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import create_once
from ketacare.patients.facts import last_dose
from ketacare.patients.models import Patient

MAX_REPORTS = 30
# Without a recorded dose KetaCare cannot tell an expected after-effect from anything else, so a
# check-in is triaged as if the dose were long past: beyond the core's persistence limit every
# side effect goes to "contact your clinic" and every red flag keeps its own level (no new number
# here: it is the core's limit plus one day). The route then only selects windows that are all
# already passed, so "iv" serves as a neutral default when no route is known.
NO_DOSE_ROUTE = "iv"


def no_recent_dose_minutes() -> float:
    """The minutes-since-dose used when no dose is on record (the core's persistence limit + 1 day)."""
    return kb.persistence().contact_clinic_after_min + 24 * 60


class CheckinError(FieldError):
    """Invalid check-in input; ``field`` names the offending field, the message the allowed range."""


@dataclass(frozen=True, slots=True)
class ReportIn:
    """One symptom as submitted: a knowledge-base id and a severity."""

    symptom_id: str
    severity: str = "mild"


@dataclass(frozen=True, slots=True)
class CheckinOutcome:
    """The stored check-in and whether this call created it (False: an idempotent retry)."""

    checkin: SymptomCheckin
    created: bool


def _symptom_name(symptom_id: str) -> tuple[str, str] | None:
    known = kb.knowledge()
    if symptom_id in known.red_flags:
        return "red_flag", known.red_flags[symptom_id].name
    if symptom_id in known.side_effects:
        return "side_effect", known.side_effects[symptom_id].name
    return None


def validate_checkin(*, reports: Sequence[ReportIn], mood: int | None, note: str) -> None:
    """Raise CheckinError for the first invalid field (before anything is written; the key is create_once's)."""
    if mood is not None and (
        isinstance(mood, bool) or not isinstance(mood, int) or not MOOD_MIN <= mood <= MOOD_MAX
    ):
        raise CheckinError("mood", f"mood {mood!r} is out of range: allowed {MOOD_MIN} to {MOOD_MAX}")
    if len(note) > NOTE_MAX_CHARS:
        raise CheckinError("note", f"note has {len(note)} characters: allowed at most {NOTE_MAX_CHARS}")
    if len(reports) > MAX_REPORTS:
        raise CheckinError("reports", f"{len(reports)} symptoms: allowed at most {MAX_REPORTS}")
    seen: set[str] = set()
    for report in reports:
        if _symptom_name(report.symptom_id) is None:
            raise CheckinError(
                "symptom_id",
                f"unknown symptom id {report.symptom_id[:60]!r}: choose a symptom from the list "
                "(the knowledge base's side effects and red flags)",
            )
        if report.severity not in SEVERITIES:
            raise CheckinError(
                "severity",
                f"severity {report.severity[:20]!r} for {report.symptom_id} is not allowed: "
                f"allowed {', '.join(SEVERITIES)}",
            )
        if report.symptom_id in seen:
            raise CheckinError("symptom_id", f"symptom {report.symptom_id} is listed twice")
        seen.add(report.symptom_id)


def triage_to_json(result: TriageResult) -> dict[str, Any]:
    """The triage result as stored (plain JSON: the level, the message and each report's reasoning)."""
    return {
        "level": result.level.value,
        "patient_message": result.patient_message,
        "route": result.route,
        "minutes_since_dose": result.minutes_since_dose,
        "red_flag_ids": list(result.red_flag_ids),
        "details": [
            {
                "symptom_id": d.report.symptom_id,
                "severity": d.report.severity,
                "kind": d.kind,
                "entry_id": d.entry_id,
                "name": d.name,
                "level": d.level.value,
                "rules": list(d.rules),
                "expected_window": (
                    {
                        "onset_min": d.expected_window.onset_min,
                        "peak_min": d.expected_window.peak_min,
                        "resolution_min": d.expected_window.resolution_min,
                    }
                    if d.expected_window
                    else None
                ),
                "longer_than_expected_after_min": d.longer_than_expected_after_min,
                "red_flag_id": d.red_flag_id,
                "patient_message": d.patient_message,
                "self_care": list(d.self_care),
                "sources": list(d.sources),
            }
            for d in result.details
        ],
    }


@dataclass(frozen=True, slots=True)
class _Triaged:
    """A check-in's triage, computed before its transaction: the result and the dose it counted from."""

    result: TriageResult
    route: str
    minutes: float
    dose_started_at: dt.datetime | None


def submit_checkin(
    *,
    patient: Patient,
    idempotency_key: str,
    reports: Sequence[ReportIn],
    mood: int | None,
    note: str,
    now: dt.datetime,
) -> CheckinOutcome:
    """Store a check-in triaged by the core; red flags raise a clinic alert in the same transaction.

    A retry with the same ``idempotency_key`` returns the original check-in untouched. Triage counts
    from the start of the patient's last dose; with no dose on record see ``no_recent_dose_minutes``.
    Open symptoms that this check-in no longer reports are closed at ``now``.
    """

    def prepare() -> _Triaged:
        validate_checkin(reports=reports, mood=mood, note=note)
        dose = last_dose(patient, now=now)
        if dose is not None and dose.route in kb.ROUTES:
            route, minutes = dose.route, max((now - dose.started_at).total_seconds() / 60, 0.0)
            dose_started_at: dt.datetime | None = dose.started_at
        else:
            route, minutes, dose_started_at = NO_DOSE_ROUTE, no_recent_dose_minutes(), None
        result = triage(
            # validate_checkin has held each severity to SEVERITIES.
            [CoreReport(symptom_id=r.symptom_id, severity=cast(Severity, r.severity)) for r in reports],
            route=route,
            minutes_since_dose=minutes,
        )
        return _Triaged(result, route, minutes, dose_started_at)

    def create(triaged: _Triaged) -> SymptomCheckin:
        dose_started_at = triaged.dose_started_at
        checkin = SymptomCheckin.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            submitted_at=now,
            idempotency_key=idempotency_key,
            mood_0_10=mood,
            note=note,
            route=triaged.route if dose_started_at else "",
            dose_started_at=dose_started_at,
            minutes_since_dose=triaged.minutes if dose_started_at else None,
            triage_level=triaged.result.level.value,
            triage_result=triage_to_json(triaged.result),
        )
        _record_symptoms(checkin, triaged.result, now=now)
        _raise_alerts(checkin, triaged.result)
        return checkin

    checkin, created = create_once(
        SymptomCheckin, patient=patient, idempotency_key=idempotency_key, prepare=prepare, create=create
    )
    return CheckinOutcome(checkin, created=created)


def _record_symptoms(checkin: SymptomCheckin, result: TriageResult, *, now: dt.datetime) -> None:
    patient = checkin.patient
    open_reports = {
        r.symptom_id: r for r in SymptomReport.objects.filter(patient=patient, resolved_at__isnull=True)
    }
    for detail in result.details:
        symptom_id = detail.report.symptom_id
        current = open_reports.pop(symptom_id, None)
        if current is not None and current.dose_started_at == checkin.dose_started_at:
            # Still there: the same episode continues, at the worst level seen.
            current.last_checkin = checkin
            if Level(detail.level) > Level(current.level):
                current.level = detail.level.value
            if SymptomReport.Severity.values.index(
                detail.report.severity
            ) > SymptomReport.Severity.values.index(current.severity):
                current.severity = detail.report.severity
            current.save(update_fields=["last_checkin", "level", "severity"])
            continue
        if current is not None:
            # A new dose since it was first reported: that episode ends, a new one starts.
            current.resolved_at, current.resolved_by = now, checkin
            current.save(update_fields=["resolved_at", "resolved_by"])
        SymptomReport.objects.create(
            clinic_id=checkin.clinic_id,
            patient=patient,
            checkin=checkin,
            last_checkin=checkin,
            symptom_id=symptom_id,
            kind=detail.kind,
            name=detail.name,
            severity=detail.report.severity,
            level=detail.level.value,
            route=checkin.route,
            dose_started_at=checkin.dose_started_at,
            expected_resolution_min=detail.expected_window.resolution_min if detail.expected_window else None,
            started_at=now,
        )
    # Anything open that this check-in did not report has gone: close it now.
    for gone in open_reports.values():
        gone.resolved_at, gone.resolved_by = now, checkin
        gone.save(update_fields=["resolved_at", "resolved_by"])


def _raise_alerts(checkin: SymptomCheckin, result: TriageResult) -> None:
    red_flags = [d for d in result.details if d.red_flag_id is not None or d.level >= Level.URGENT]
    if not red_flags:
        return
    top = max(d.level for d in red_flags)
    names = ", ".join(dict.fromkeys(d.name for d in red_flags))
    raise_alert(
        patient=checkin.patient,
        source=Alert.Source.RED_FLAG_CHECKIN,
        severity=top.value if top >= Level.CONTACT_CLINIC else Alert.Severity.CONTACT_CLINIC,
        title=f"Red flag in check-in: {names}"[:200],
        detail=result.patient_message,
        dedupe_key=f"checkin:{checkin.public_id}",
    )


def tick_preparation(
    *,
    patient: Patient,
    session_key: str,
    item_id: str,
    done: bool,
    allowed_items: Sequence[str],
    now: dt.datetime,
) -> PreparationTick:
    """Record that the patient ticked (or unticked) one preparation item for a session."""
    if item_id not in allowed_items:
        raise CheckinError(
            "item_id", f"unknown checklist item {item_id[:60]!r}: allowed {', '.join(allowed_items)}"
        )
    with transaction.atomic():
        tick, _ = PreparationTick.objects.update_or_create(
            patient=patient,
            session_key=session_key[:40],
            item_id=item_id,
            defaults={"clinic_id": patient.clinic_id, "done": done, "ticked_at": now},
        )
    return tick
