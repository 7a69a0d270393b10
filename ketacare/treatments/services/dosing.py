"""Dosing: the prescriber's override of a pre-dose hold, each dose within the protocol's bounds (one
nasal device at a time, with the waits between them), and the end of dosing.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.core.protocols import get_protocol
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.treatments import selectors
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from ketacare.treatments.services._common import check_text, check_time, is_prescriber, require_state


def override_hold(*, session: TreatmentSession, user: User, reason: str) -> TreatmentSession:
    """A prescriber decides to dose despite a pre-dose hold, giving a reason."""
    reason = check_text("hold_override_reason", reason, required=True)
    if not is_prescriber(user, session.clinic_id):
        raise NotPermitted(
            "hold_override_reason", "only a prescriber of this clinic can override a pre-dose hold"
        )
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if not session.hold:
            raise ConflictError("hold_override_reason", "there is no pre-dose hold to override")
        session.hold_overridden_at = timezone.now()
        session.hold_overridden_by = user
        session.hold_override_reason = reason
        session.save(update_fields=["hold_overridden_at", "hold_overridden_by", "hold_override_reason"])
    return session


def _dose_bounds_problem(protocol: Any, total_mg: float, weight_kg: float | None) -> str | None:
    """Why `total_mg` is outside the protocol's bounds, or None when it is inside."""
    bounds = protocol.dose_bounds
    if protocol.dose.basis == "mg_per_kg":
        assert weight_kg is not None  # noqa: S101 - check-in records the weight
        per_kg = total_mg / weight_kg
        low, high = bounds.min_mg_per_kg, bounds.max_mg_per_kg
        if not low <= round(per_kg, 4) <= high:
            return (
                f"dose_mg {total_mg:g} is {per_kg:.2f} mg/kg for {weight_kg:g} kg; protocol {protocol.id} "
                f"allows {low:g}–{high:g} mg/kg ({low * weight_kg:.1f}–{high * weight_kg:.1f} mg)"
            )
        return None
    low, high = bounds.min_mg, bounds.max_mg
    if total_mg > high:
        return f"dose_mg {total_mg:g} (total) is above the protocol's range {low:g}–{high:g} mg"
    return None


def record_dose(
    *,
    session: TreatmentSession,
    user: User,
    dose_mg: float,
    lot_number: str,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    out_of_bounds_reason: str = "",
) -> DoseAdministration:
    """Record a dose: an infusion (stop time now or later) or one nasal device (5-minute waits)."""
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
        if session.hold and session.hold_overridden_at is None:
            raise ConflictError(
                "dose_mg", "the pre-dose hold is on: re-measure, or a prescriber overrides it with a reason"
            )
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
            if ended_at is not None:
                check_time("ended_at", ended_at, session, now=now, not_before=start)
        total = sum(float(d.dose_mg) for d in previous) + amount
        problem = _dose_bounds_problem(
            protocol, total, float(session.weight_kg) if session.weight_kg else None
        )
        if problem and not out_of_bounds_reason:
            raise FieldError("dose_mg", problem + "; give out_of_bounds_reason to record it anyway")
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
            created_by=user,
        )
        session.dose_started_at = min(start, session.dose_started_at or start)
        session.state = TreatmentSession.State.DOSING
        finished = ended_at is not None and (
            protocol.device is None
            or (session.planned_dose_mg is not None and total >= float(session.planned_dose_mg))
        )
        if finished:
            session.dose_ended_at = ended_at
            session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_started_at", "dose_ended_at", "state"])
    return dose


def end_dosing(
    *, session: TreatmentSession, user: User, ended_at: dt.datetime | None = None
) -> TreatmentSession:
    """Stop the running infusion, or finish nasal dosing after fewer devices than planned."""
    now = timezone.now()
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().select_related("clinic").get(pk=session.pk)
        require_state(session, TreatmentSession.State.DOSING, action="end dosing")
        doses = selectors.valid_doses(session)
        running = [d for d in doses if d.ended_at is None]
        if running:
            end = ended_at or now
            check_time("ended_at", end, session, now=now, not_before=running[-1].started_at)
            running[-1].ended_at = end
            running[-1].save(update_fields=["ended_at"])
        else:
            end = max(d.ended_at or d.started_at for d in doses)
        session.dose_ended_at = end
        session.state = TreatmentSession.State.OBSERVING
        session.save(update_fields=["dose_ended_at", "state"])
    return session
