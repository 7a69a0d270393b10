"""What the run-sheet records while the patient is in the chair: vital signs (the pre-dose set decides
the hold, `monitoring.check_pre_dose`; later sets are flagged by `monitoring.flag_vitals`), sedation
and dissociation, adverse events, and entries marked as entered in error.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.core import monitoring
from ketacare.core.protocols import PHYSIOLOGICAL_RANGES
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.treatments import selectors
from ketacare.treatments.errors import InputsRefused
from ketacare.treatments.models import (
    ENTERED_IN_ERROR_REASON_MAX,
    AdverseEvent,
    Observation,
    TreatmentSession,
    VitalSign,
)
from ketacare.treatments.services._common import check_text, check_time, require_state
from ketacare.treatments.services.dosing import recheck_holds

# Adverse-event severities that raise a prescriber alert as they are recorded.
ALERTING_SEVERITIES = frozenset({"moderate", "severe"})

UNITS = {"systolic_mmhg": "mmHg", "diastolic_mmhg": "mmHg", "heart_rate_bpm": "/min", "spo2_pct": "%"}


class VitalSignsRefused(InputsRefused):
    """Several inputs of one set of vital signs refused at once (``InputsRefused``)."""


def _validate_vitals(
    systolic_mmhg: Any, diastolic_mmhg: Any, heart_rate_bpm: Any, spo2_pct: Any
) -> tuple[dict[str, int | None], list[FieldError]]:
    """The readings as whole numbers, and every reading refused (each naming its field and range)."""
    values = {
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
        "heart_rate_bpm": heart_rate_bpm,
        "spo2_pct": spo2_pct,
    }
    out: dict[str, int | None] = {}
    errors: list[FieldError] = []
    for field, value in values.items():
        low, high = PHYSIOLOGICAL_RANGES[field]
        unit = UNITS[field]
        if value is None and field in ("heart_rate_bpm", "spo2_pct"):
            out[field] = None
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(FieldError(field, f"{field} must be a number {low:g}–{high:g} {unit}"))
        elif not low <= value <= high:
            errors.append(FieldError(field, f"{field} {value:g} is out of range {low:g}–{high:g} {unit}"))
        elif value != int(value):
            errors.append(FieldError(field, f"{field} {value:g} must be a whole number"))
        else:
            out[field] = int(value)
    systolic, diastolic = out.get("systolic_mmhg"), out.get("diastolic_mmhg")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        errors.append(
            FieldError(
                "diastolic_mmhg",
                f"diastolic_mmhg: Diastolic {diastolic} mmHg must be below the systolic {systolic} mmHg",
            )
        )
    return out, errors


def check_entry_time(field: str, value: dt.datetime, session: TreatmentSession, *, now: dt.datetime) -> None:
    """`check_time` for a run-sheet entry; a time before check-in names the day when it is not the
    check-in's ("Mon 2 Mar 10:00 is before the session started (check-in Tue 3 Mar 04:33)")."""
    started = session.checked_in_at
    if value.tzinfo is not None and started is not None and value < started:
        zone = selectors.clinic_zone(session.clinic)
        try:
            local = value.astimezone(zone)
        except OverflowError:
            local = None  # year 1: check_time names it out of range
        if local is not None:
            begun = started.astimezone(zone)
            shown = "%H:%M" if local.date() == begun.date() else "%a %-d %b %H:%M"
            raise FieldError(
                field,
                f"{field} {local.strftime(shown)} is before the session started "
                f"(check-in {begun.strftime(shown)})",
            )
    check_time(field, value, session, now=now)


def record_vital_signs(
    *,
    session: TreatmentSession,
    user: User,
    systolic_mmhg: Any,
    diastolic_mmhg: Any,
    heart_rate_bpm: Any = None,
    spo2_pct: Any = None,
    measured_at: dt.datetime | None = None,
) -> VitalSign:
    """Record one set of vital signs. Before the dose it is a pre-dose set and decides the hold.

    Every refused input is named at once (`VitalSignsRefused` when more than one), nothing written.
    """
    now = timezone.now()
    at = measured_at or now
    values, errors = _validate_vitals(systolic_mmhg, diastolic_mmhg, heart_rate_bpm, spo2_pct)
    try:
        check_entry_time("measured_at", at, session, now=now)
    except FieldError as error:
        errors.insert(0, error)  # the form asks for the time first
    if len(errors) > 1:
        raise VitalSignsRefused(errors)
    if errors:
        raise errors[0]
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("patient", "clinic")
            .get(pk=session.pk)
        )
        require_state(session, *selectors.LIVE_STATES, action="record vital signs")
        check_entry_time("measured_at", at, session, now=now)
        pre_dose = session.dose_started_at is None or at < session.dose_started_at
        reading = monitoring.VitalSigns(
            values["systolic_mmhg"],  # type: ignore[arg-type]
            values["diastolic_mmhg"],  # type: ignore[arg-type]
            values["heart_rate_bpm"],
            values["spo2_pct"],
        )
        flags: list[dict[str, Any]] = []
        if pre_dose:
            age = selectors.age_years(
                session.patient, at.astimezone(selectors.clinic_zone(session.clinic)).date()
            )
            result = monitoring.check_pre_dose(session.route, age, **values)  # type: ignore[arg-type]
            flags = [
                {"code": r.code, "level": r.level, "field": r.field, "message": r.message}
                for r in result.reasons
            ]
        else:
            baseline = selectors.as_core_vitals(selectors.baseline_vitals(session))
            flags = [
                {"code": f.code, "level": f.level, "field": f.field, "message": f.message}
                for f in monitoring.flag_vitals(session.route, baseline, reading)
            ]
        vital = VitalSign.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            kind=VitalSign.Kind.PRE_DOSE if pre_dose else VitalSign.Kind.IN_SESSION,
            measured_at=at,
            flags=flags,
            created_by=user,
            **values,
        )
        if pre_dose and session.dose_started_at is None:
            # The latest pre-dose set decides: a re-measured normal set lifts a hold, except a
            # blood-pressure hold re-measured before the patient has rested (`BP_RETAKE_REST`).
            session.hold, session.hold_reasons = selectors.pre_dose_hold_flags(session)
            session.save(update_fields=["hold", "hold_reasons"])
            # A pre-dose hold reaches the clinic's prescribers in this transaction (decision 0013); a
            # cause this set fixed closes its alert.
            recheck_holds(
                session,
                user,
                now,
                event=f"pre-dose vital signs {vital.systolic_mmhg}/{vital.diastolic_mmhg} mmHg were recorded",
            )
        critical = [f for f in flags if f["level"] == "critical"]
        if critical:
            _raise_vital_alert(session, vital, critical)
    return vital


def _raise_vital_alert(session: TreatmentSession, vital: VitalSign, critical: list[dict[str, Any]]) -> None:
    """A critical in-session reading also becomes a clinic alert (same transaction).

    The protocol's own words for a critical reading are "emergency response", so the alert is an
    emergency: it sorts above every urgent item of paperwork (REMS forms past their deadline) in the
    inbox and counts among the severe alerts in the navigation.
    """
    raise_alert(
        patient=session.patient,
        source=Alert.Source.VITAL_SIGN,
        severity=Alert.Severity.EMERGENCY,
        title="Critical vital sign during a session",
        detail="; ".join(f["message"] for f in critical),
        dedupe_key=f"vital:{vital.public_id}",
    )


def record_observation(
    *,
    session: TreatmentSession,
    user: User,
    moaas_score: int,
    dissociation: str,
    respiratory_concern: bool = False,
    note: str = "",
    observed_at: dt.datetime | None = None,
) -> Observation:
    """Record sedation (MOAA/S) and dissociation at one time."""
    now = timezone.now()
    at = observed_at or now
    low, high = monitoring.MOAAS_RANGE
    if isinstance(moaas_score, bool) or not isinstance(moaas_score, int) or not low <= moaas_score <= high:
        raise FieldError("moaas_score", f"moaas_score {moaas_score} is out of range {low}–{high}")
    if dissociation not in Observation.Dissociation.values:
        raise FieldError(
            "dissociation",
            f"dissociation {dissociation!r} is not one of {', '.join(Observation.Dissociation.values)}",
        )
    note = check_text("note", note, limit=500)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(session, *selectors.LIVE_STATES, action="record an observation")
        check_entry_time("observed_at", at, session, now=now)
        return Observation.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            observed_at=at,
            moaas_score=moaas_score,
            dissociation=dissociation,
            respiratory_concern=respiratory_concern,
            note=note,
            created_by=user,
        )


def record_adverse_event(
    *,
    session: TreatmentSession,
    user: User,
    description: str,
    severity: str,
    action_taken: str = "",
    occurred_at: dt.datetime | None = None,
) -> AdverseEvent:
    """Record an adverse event during the session."""
    now = timezone.now()
    at = occurred_at or now
    description = check_text("description", description, required=True)
    action_taken = check_text("action_taken", action_taken)
    if severity not in AdverseEvent.Severity.values:
        raise FieldError(
            "severity", f"severity {severity!r} is not one of {', '.join(AdverseEvent.Severity.values)}"
        )
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(session, *selectors.LIVE_STATES, action="record an adverse event")
        check_entry_time("occurred_at", at, session, now=now)
        event = AdverseEvent.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            occurred_at=at,
            description=description,
            severity=severity,
            action_taken=action_taken,
            created_by=user,
        )
        if severity in ALERTING_SEVERITIES:
            # Moderate or worse reaches the prescribers at once (decision 0013), in this transaction.
            raise_alert(
                patient=session.patient,
                source=Alert.Source.ADVERSE_EVENT,
                severity=Alert.Severity.URGENT if severity != "moderate" else Alert.Severity.CONTACT_CLINIC,
                title=f"Adverse event ({severity}) during a session",
                detail=f"{description}" + (f" Action taken: {action_taken}" if action_taken else ""),
                dedupe_key=f"adverse_event:{event.public_id}",
            )
        return event


def mark_entered_in_error(
    *, session: TreatmentSession, user: User, kind: str, entry_id: str, reason: str
) -> None:
    """Mark a vital sign, observation or adverse event as entered in error (it stays visible).

    The correction says why (`reason`, required, at most `ENTERED_IN_ERROR_REASON_MAX` characters)
    and is stored with who and when in the same UPDATE. An entry already marked is refused (a
    ConflictError on `entry_id`) and keeps its first correction. A pre-dose vital sign marked before
    the dose re-derives the hold from the remaining baseline.
    """
    models: dict[str, Any] = {"vital": VitalSign, "observation": Observation, "adverse_event": AdverseEvent}
    model = models.get(kind)
    if model is None:
        raise FieldError("kind", f"kind {kind!r} is not one of {', '.join(models)}")
    limit = ENTERED_IN_ERROR_REASON_MAX
    if not isinstance(reason, str) or not reason.strip():
        raise FieldError(
            "reason", f"reason is required: say why the entry is wrong (at most {limit} characters)"
        )
    reason = check_text("reason", reason, required=True, limit=limit)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        require_state(session, *selectors.LIVE_STATES, action="correct an entry")
        # The session's row lock serialises corrections of its entries: the entry is either still
        # valid here (and marked now) or already marked (and left as its first correction says).
        entries = model.objects.filter(session=session, public_id=entry_id)
        updated = entries.filter(entered_in_error=False).update(
            entered_in_error=True,
            entered_in_error_reason=reason,
            entered_in_error_by=user,
            entered_in_error_at=timezone.now(),
        )
        if not updated:
            if entries.exists():
                raise ConflictError("entry_id", "this entry is already marked as entered in error")
            raise FieldError("entry_id", "no such entry in this session")
        if kind == "vital" and session.dose_started_at is None:
            session.hold, session.hold_reasons = selectors.pre_dose_hold_flags(session)
            session.save(update_fields=["hold", "hold_reasons"])
            # The remaining baseline decides now: a hold it brings back alerts, one it lifts closes.
            now = timezone.now()
            recheck_holds(session, user, now, event="a pre-dose reading was marked entered in error")
