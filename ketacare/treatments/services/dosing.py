"""Dosing: the prescriber's override of a pre-dose hold, each dose within the protocol's bounds (one
nasal device at a time, with the waits between them), and the end of dosing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import acknowledge_alert, resolve_alert
from ketacare.clinics.selectors import is_prescriber
from ketacare.core import pathway
from ketacare.core.protocols import get_protocol
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.patients import facts
from ketacare.treatments import selectors
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from ketacare.treatments.selectors.run_sheet import discharge_blocking_alerts
from ketacare.treatments.services._common import check_text, check_time, require_state
from ketacare.treatments.services.pathway import alert_cause, hold_alert_prefix, raise_hold_alerts
from ketacare.treatments.signals import dose_recorded


def recheck_holds(session: TreatmentSession, user: User, now: dt.datetime, *, event: str) -> None:
    """After a write that can start or fix a pre-dose hold (a reading, a confirmation, a correction): a
    hold open now alerts the prescribers, and a cause ``event`` fixed closes its alert, in this transaction."""
    holds = selectors.open_holds(session, now)
    raise_hold_alerts(session, holds)
    settle_hold_alerts(session, user, now, holding=[h.code for h in holds], event=event)


def settle_hold_alerts(
    session: TreatmentSession, user: User, now: dt.datetime, *, holding: Iterable[str], event: str
) -> None:
    """Close each dosing-hold alert of this session whose cause no longer holds, with a note saying why.

    `holding` is the codes that still block the dose (``selectors.open_holds``); a code the prescriber's
    override covers was allowed by it, and any other was fixed by `event` (what just happened: "check-in
    updated: ride home arranged", "dosing started"). Runs inside the caller's transaction, after its
    write. A dosing-hold alert is resolved only by a prescriber (``alerts.models.PRESCRIBER_SOURCES``):
    when a nurse fixed the cause, the note is left on it as an acknowledgement for the prescriber.
    """
    still = {alert_cause(code) for code in holding}
    covered = (
        {alert_cause(code) for code in session.hold_overridden_codes or []}
        if session.hold_overridden_at
        else set()
    )
    prefix = hold_alert_prefix(session)
    zone = selectors.clinic_zone(session.clinic)
    alerts = (
        Alert.objects.filter(patient_id=session.patient_id, dedupe_key__startswith=prefix)
        .exclude(state=Alert.State.RESOLVED)
        .order_by("created_at", "id")
    )
    for alert in alerts:
        code = alert.dedupe_key[len(prefix) :].split(":", 1)[0]
        if code in still:
            continue
        if code in covered and session.hold_overridden_at is not None:
            note = (
                f"Dosing allowed by a prescriber's override (override by {session.hold_overridden_by} at "
                f"{session.hold_overridden_at.astimezone(zone):%H:%M}: \u201c{session.hold_override_reason}\u201d)."
            )
        else:
            note = f"Cause fixed: the hold no longer applies after {event} ({user}, {now.astimezone(zone):%H:%M})."
        try:
            resolve_alert(alert=alert, user=user, note=note, now=now, by_cause=True)
        except NotPermitted:
            # Checked before anything is written: the nurse's fix goes on the alert for the prescriber.
            if alert.state == Alert.State.OPEN:
                acknowledge_alert(alert=alert, user=user, note=note, now=now)


def override_hold(*, session: TreatmentSession, user: User, reason: str) -> TreatmentSession:
    """A prescriber decides to dose despite the holds open now (each listed on the run-sheet), with a reason.

    The override covers the holds open at this moment, by code; a hold that arises later blocks again.
    """
    reason = check_text("hold_override_reason", reason, required=True)
    if not is_prescriber(user, session.clinic_id):
        raise NotPermitted("hold_override_reason", "only a prescriber of this clinic can override a hold")
    now = timezone.now()
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=session.pk)
        )
        holds = [h for h in selectors.open_holds(session, now) if h.code not in selectors.STEP_HOLDS]
        if not holds and not session.hold:
            raise ConflictError("hold_override_reason", "there is no hold to override")
        covered = sorted({*(session.hold_overridden_codes or []), *(h.code for h in holds)})
        session.hold_overridden_at = now
        session.hold_overridden_by = user
        session.hold_override_reason = reason
        session.hold_overridden_codes = covered
        session.save(
            update_fields=[
                "hold_overridden_at",
                "hold_overridden_by",
                "hold_override_reason",
                "hold_overridden_codes",
            ]
        )
        # The prescribers' "Dosing on hold" alerts of the covered causes close with the override.
        settle_hold_alerts(session, user, now, holding=(), event="the prescriber's review of the holds")
    return session


def _note_reason(session: TreatmentSession, user: User, issues: Any, reason: str, now: dt.datetime) -> None:
    """Keep each dosing entry that needed a reason on the session (run-sheet and discharge record)."""
    session.dosing_reasons = [
        *(session.dosing_reasons or []),
        *(
            {
                "code": code,
                "message": message,
                "reason": reason,
                "by": str(user.public_id),
                "at": now.isoformat(),
            }
            for code, message in issues
        ),
    ]


def _dose_bounds_problem(protocol: Any, total_mg: float, weight_kg: float | None) -> str | None:
    """Why `total_mg` is outside the protocol's bounds, or None when it is inside."""
    bounds = protocol.dose_bounds
    if protocol.dose.basis == "mg_per_kg":
        assert weight_kg is not None  # noqa: S101 - check-in records the weight
        per_kg = total_mg / weight_kg
        low, high = bounds.min_mg_per_kg, bounds.max_mg_per_kg
        if not low <= round(per_kg, 4) <= high:
            return (
                f"dose_mg {total_mg:g} is {per_kg:.2f} mg/kg for {weight_kg:g} kg; the protocol "
                f"allows {low:g}–{high:g} mg/kg ({low * weight_kg:.1f}–{high * weight_kg:.1f} mg)"
            )
        return None
    low, high = bounds.min_mg, bounds.max_mg
    if total_mg > high:
        return f"dose_mg {total_mg:g} (total) is above the protocol's range {low:g}–{high:g} mg"
    return None


# Where a dose outside the protocol's range gets its reason, named by the label the nurse sees.
OUT_OF_RANGE_HOW = "write why under “Reason, if outside the protocol's dose range” to record it anyway"
GATE_OVERRIDE_READ_LABEL = "I have read the prescriber's override"


def _check_gate_override_read(session: TreatmentSession, user: User, read: bool, now: dt.datetime) -> None:
    """Refuse the session's first dose until the person recording it confirms they have read the
    prescriber's override it goes ahead under, unless they wrote it: the override of a plan gate step
    still missing (no screening, decision or consent on file, docs/decisions/0013), and the override of
    the hold on a dose less than 24 h after another (docs/decisions/0031). One tick confirms both."""
    if read:
        return
    override = selectors.gate_override_read_needed(session, user)
    near = selectors.interval_override_read_needed(session, user, now)
    if override is None and near is None:
        return
    zone = selectors.clinic_zone(session.clinic)
    parts = []
    if override is not None:
        plan = override.plan
        when = f"{plan.gate_overridden_at.astimezone(zone):%a %-d %b}" if plan.gate_overridden_at else ""
        parts.append(
            f"this plan was made under a prescriber's override of: {override.words} "
            f"({plan.gate_overridden_by}, {when}: \u201c{plan.gate_override_reason}\u201d)"
        )
    if near is not None and session.hold_overridden_at is not None:
        parts.append(
            f"{'a' if not parts else 'and a'} prescriber allowed this dose "
            f"{selectors.duration_words(near.gap(now))} after another: {near.words(now, zone)} "
            f"({session.hold_overridden_by}, {session.hold_overridden_at.astimezone(zone):%H:%M}: "
            f"\u201c{session.hold_override_reason}\u201d)"
        )
    them = "it" if len(parts) == 1 else "both"
    first = "first " if override is not None else ""
    raise FieldError(
        "gate_override_read",
        f"gate_override_read: {'; '.join(parts)}. Read {them}, then tick "
        f"\u201c{GATE_OVERRIDE_READ_LABEL}\u201d to record the {first}dose.",
    )


def record_dose(
    *,
    session: TreatmentSession,
    user: User,
    dose_mg: float,
    lot_number: str,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    out_of_bounds_reason: str = "",
    gate_override_read: bool = False,
) -> DoseAdministration:
    """Record a dose: an infusion (stop time now or later), one nasal device (5-minute waits), or a dose
    given at one time (oral, sublingual, IM injection: without a stop time it ends when it is given).

    The first dose on a plan made under a prescriber's override of a step still missing, or given less
    than 24 h after another dose under a prescriber's override of that hold, needs ``gate_override_read``
    (the recorder has read the override), unless the recorder wrote it. Without an override a dose less
    than 24 h after another is refused with that dose's time, amount and route (the "interval" hold).
    The first dose waits, too, for each questionnaire due before it (PHQ-9, GAD-7 from the questionnaires
    schedule) to be answered or skipped with a reason; no override passes that (`pre_dose_questionnaires`).
    """
    now = timezone.now()
    start = started_at or now
    lot_number = check_text("lot_number", lot_number, required=True, limit=40)
    out_of_bounds_reason = check_text("out_of_bounds_reason", out_of_bounds_reason)
    if (
        isinstance(dose_mg, bool)
        or not isinstance(dose_mg, int | float | Decimal)
        or not math.isfinite(float(dose_mg))
        or float(dose_mg) <= 0
    ):
        raise FieldError("dose_mg", f"dose_mg {dose_mg} must be a positive number of mg")
    amount = float(dose_mg)
    protocol = get_protocol(session.protocol_id)
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(
            session, TreatmentSession.State.CHECKED_IN, TreatmentSession.State.DOSING, action="record a dose"
        )
        if selectors.baseline_vitals(session) is None:
            raise ConflictError("dose_mg", "record the pre-dose vital signs before the dose")
        holds = selectors.open_holds(session, now)
        # A questionnaire due before the dose is the nurse's step, not a hold a prescriber overrides.
        questionnaires = [h for h in holds if h.code == selectors.QUESTIONNAIRES_DUE]
        holds = [h for h in holds if h.code != selectors.QUESTIONNAIRES_DUE]
        if session.hold and session.hold_overridden_at is None:
            # The readings that hold, each saying when a retake counts (`BP_RETAKE_REST`).
            readings = [h.message for h in holds if h.code.startswith("pre_dose_")]
            how = "re-measure, or a prescriber overrides it with a reason"
            raise ConflictError(
                "dose_mg",
                "the pre-dose hold is on: "
                + (" ".join(readings) + f" {how[:1].upper()}{how[1:]}." if readings else how),
            )
        if holds:
            raise ConflictError(
                "dose_mg",
                "Dosing is on hold: "
                + " ".join(h.message for h in holds)
                + " Fix each cause, or a prescriber overrides with a reason.",
            )
        if questionnaires:
            # The PHQ-9's suicide item is asked before the dose, or a person records why it was not.
            raise ConflictError(
                "pre_dose_questionnaires",
                "Dosing waits for the pre-dose questionnaires: " + questionnaires[0].message,
            )
        # An unresolved emergency or suicide-risk alert (chest pain reported from the app, an item 9
        # answer) raised before this dose holds it as it holds discharge: no override covers it;
        # resolving it records what was done (decision 0013).
        blocking = [a for a in discharge_blocking_alerts(session) if a.created_at <= start]
        if blocking:
            raise ConflictError(
                "dose_mg",
                "Dosing waits for the patient's unresolved "
                + "; ".join(
                    f"{a.get_severity_display().lower()} alert \u201c{a.title}\u201d" for a in blocking
                )
                + ": assess the patient and resolve it with what was done first (a prescriber's override of "
                "the pre-dose holds does not cover it).",
            )
        _check_gate_override_read(session, user, gate_override_read is True, now)
        check_time("started_at", start, session, now=now)
        previous = selectors.valid_doses(session)
        device_number = None
        if protocol.device is not None:
            if ended_at is not None and ended_at != start:
                raise FieldError("ended_at", "a nasal device has one time; leave ended_at empty")
            ended_at = start
            if amount != protocol.device.mg_per_device:
                raise FieldError(
                    "dose_mg",
                    f"dose_mg {amount:g}: each nasal device delivers {protocol.device.mg_per_device} mg; "
                    "record one device at a time",
                )
            if previous:
                wait = dt.timedelta(minutes=protocol.device.wait_between_devices_minutes)
                earliest = previous[-1].started_at + wait
                if start < earliest:
                    zone = selectors.clinic_zone(session.clinic)
                    raise FieldError(
                        "started_at",
                        f"started_at {start.astimezone(zone):%H:%M} is less than "
                        f"{protocol.device.wait_between_devices_minutes} min after device {len(previous)}; "
                        f"the next device is due from {earliest.astimezone(zone):%H:%M}",
                    )
            device_number = len(previous) + 1
        else:
            if any(d.ended_at is None for d in previous):
                raise ConflictError("dose_mg", "an infusion is still running: stop it first")
            if ended_at is None and selectors.given_at_one_time(protocol):
                # An oral or sublingual dose or an injection has no infusion to stop: it ends when given.
                ended_at = start
            if ended_at is not None:
                check_time("ended_at", ended_at, session, now=now, not_before=start)
        planned_amount = None
        early: list[tuple[str, str]] = []
        if protocol.device is None and ended_at is not None:
            stop = selectors.infusion_stop(protocol.id, amount, start, ended_at)
            if stop is not None and not stop.complete:
                planned_amount, amount = stop.planned_mg, stop.delivered_mg
                early = [("early_stop", stop.early_words)] if stop.early else []
            if early and not out_of_bounds_reason:
                raise FieldError(
                    "out_of_bounds_reason",
                    f"{early[0][1]}. Give a reason to record an early stop",
                )
        total = sum(float(d.dose_mg) for d in previous) + amount
        problem = _dose_bounds_problem(
            protocol, total, float(session.weight_kg) if session.weight_kg else None
        )
        if problem and not out_of_bounds_reason:
            raise FieldError("dose_mg", f"{problem}; {OUT_OF_RANGE_HOW}")
        dose = DoseAdministration.objects.create(
            clinic=session.clinic,
            patient_id=session.patient_id,
            session=session,
            drug=protocol.drug,
            route=session.route,
            dose_mg=Decimal(str(amount)),
            lot_number=lot_number,
            started_at=start,
            ended_at=ended_at,
            device_number=device_number,
            out_of_bounds_reason=out_of_bounds_reason if problem else "",
            planned_dose_mg=Decimal(str(planned_amount)) if planned_amount is not None else None,
            early_stop_reason=out_of_bounds_reason if early else "",
            created_by=user,
        )
        first_dose = session.dose_started_at is None
        session.dose_started_at = min(start, session.dose_started_at or start)
        session.state = TreatmentSession.State.DOSING
        finished = ended_at is not None and (
            protocol.device is None
            or (session.planned_dose_mg is not None and total >= float(session.planned_dose_mg))
        )
        issues = ([("out_of_range", problem)] if problem else []) + early
        if finished and protocol.device is not None:
            label = _label_issues(protocol, session, total, now)
            if label and not out_of_bounds_reason:
                raise FieldError("out_of_bounds_reason", label[0][1] + "; give a reason to record this total")
            issues += label
        if issues:
            _note_reason(session, user, issues, out_of_bounds_reason, now)
        if finished:
            session.dose_ended_at = ended_at
            session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_started_at", "dose_ended_at", "state", "dosing_reasons"])
        dose_recorded.send(sender=DoseAdministration, dose=dose, user=user)
        if first_dose:
            # The dose passed the go/no-go: every hold was fixed or overridden, and none is asked again.
            settle_hold_alerts(session, user, now, holding=(), event="dosing started")
    return dose


def _label_issues(
    protocol: Any, session: TreatmentSession, total: float, now: dt.datetime
) -> list[tuple[str, str]]:
    """The esketamine label's issue with this session total for this patient, if any."""
    zone = selectors.clinic_zone(session.clinic)
    age = selectors.age_years(session.patient, now.astimezone(zone).date())
    result = pathway.dose_plausibility(
        protocol.id,
        total_mg=total,
        age_years=age,
        japanese_ancestry=facts.plan_gate_facts(session.patient).japanese_ancestry,
        finished=True,
    )
    return [(code, message) for code, message in result.issues if code == "label_total"]


def end_dosing(
    *, session: TreatmentSession, user: User, ended_at: dt.datetime | None = None, reason: str = ""
) -> TreatmentSession:
    """Stop the running infusion, or finish nasal dosing after fewer devices than planned.

    An infusion stopped before its planned time records what was delivered (rate x time) and keeps the
    planned dose; before 80% of the time it needs `reason`. A nasal total the label does not allow for
    this patient needs `reason` too (docs/decisions/0013).
    """
    now = timezone.now()
    reason = check_text("reason", reason)
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=session.pk)
        )
        require_state(session, TreatmentSession.State.DOSING, action="end dosing")
        protocol = get_protocol(session.protocol_id)
        doses = selectors.valid_doses(session)
        running = [d for d in doses if d.ended_at is None]
        issues: list[tuple[str, str]] = []
        if running:
            end = ended_at or now
            check_time("ended_at", end, session, now=now, not_before=running[-1].started_at)
            dose = running[-1]
            planned: float | None = None
            delivered = float(dose.dose_mg)
            early: list[tuple[str, str]] = []
            # The run-sheet's "Stopping at" line computes the same figures from the same time.
            stop = selectors.infusion_stop(protocol.id, float(dose.dose_mg), dose.started_at, end)
            if stop is not None and not stop.complete:
                planned, delivered = stop.planned_mg, stop.delivered_mg
                early = [("early_stop", stop.early_words)] if stop.early else []
            if early and not reason:
                raise FieldError("reason", f"{early[0][1]}. Give a reason to stop the infusion early")
            dose.ended_at = end
            fields = ["ended_at"]
            if planned is not None:
                dose.planned_dose_mg = Decimal(str(planned))
                dose.dose_mg = Decimal(str(delivered))
                dose.early_stop_reason = reason if early else ""
                fields += ["planned_dose_mg", "dose_mg", "early_stop_reason"]
            dose.save(update_fields=fields)
            dose_recorded.send(sender=DoseAdministration, dose=dose, user=user)
            issues += early
        else:
            end = max(d.ended_at or d.started_at for d in doses)
            if protocol.device is not None:
                total = sum(float(d.dose_mg) for d in doses)
                label = _label_issues(protocol, session, total, now)
                if label and not reason:
                    raise FieldError(
                        "reason", label[0][1] + "; give a reason to finish dosing with this total"
                    )
                issues += label
        if issues:
            _note_reason(session, user, issues, reason, now)
        session.dose_ended_at = end
        session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_ended_at", "state", "dosing_reasons"])
    return session
