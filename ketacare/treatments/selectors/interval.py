"""The time between two doses of one patient: the dose given in another session too close to this one.

The core holds a dose given less than ``pathway.MIN_HOURS_BETWEEN_DOSES`` (24 h, clinic practice) after
another (``core.pathway.readiness``); this module finds that other dose, whichever session and plan it
was given in, and says it in words the run-sheet, the refusal and the prescribers' alert share: the
time, the amount and the route (docs/decisions/0031).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from ketacare.core import pathway
from ketacare.core.display import route_name
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from ketacare.treatments.selectors._common import clinic_zone

MIN_INTERVAL = dt.timedelta(hours=pathway.MIN_HOURS_BETWEEN_DOSES)
# The core's code of that hold (a prescriber's override covers it by this code).
INTERVAL_HOLD = "interval"


@dataclass(frozen=True)
class NearbyDose:
    """The patient's dose in another session within `MIN_INTERVAL` of a moment: that session's doses
    taken together (a nasal course is one row a device), from its first start."""

    session: TreatmentSession
    started_at: dt.datetime
    total_mg: float
    route: str
    devices: int

    def gap(self, at: dt.datetime) -> dt.timedelta:
        """How far apart the other dose's start and ``at`` are (either way round)."""
        return abs(at - self.started_at)

    def words(self, at: dt.datetime | None, zone: Any) -> str:
        """ "35 mg IV ketamine infusion started 09:15 today": the amount, the route and when, on the
        clinic's clock, the day named against ``at``'s day (None: the date itself, for the record)."""
        devices = f" ({self.devices} devices)" if self.devices > 1 else ""
        return f"{self.total_mg:g} mg {route_name(self.route)}{devices} started {_when(self.started_at, at, zone)}"


def _when(moment: dt.datetime, at: dt.datetime | None, zone: Any) -> str:
    local = moment.astimezone(zone)
    if at is None:
        return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M}"
    day = at.astimezone(zone).date()
    if local.date() == day:
        return f"{local:%H:%M} today"
    if local.date() == day - dt.timedelta(days=1):
        return f"{local:%H:%M} yesterday ({local:%a} {local.day} {local:%b})"
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def duration_words(gap: dt.timedelta) -> str:
    """ "3 h 12 min", "45 min", "2 h" (whole minutes, rounded down)."""
    minutes = int(gap.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def nearby_dose(session: TreatmentSession, at: dt.datetime) -> NearbyDose | None:
    """The patient's dose in another session (not cancelled, not entered in error) that started less
    than `MIN_INTERVAL` before or after ``at``, nearest first; None when there is none.

    Every session of the patient counts, whatever its plan, route or state: a second session checked in
    while the first was dosing is as close as one booked later the same day.
    """
    rows = list(
        DoseAdministration.objects.filter(
            patient_id=session.patient_id,
            entered_in_error=False,
            started_at__gt=at - MIN_INTERVAL,
            started_at__lt=at + MIN_INTERVAL,
        )
        .exclude(session_id=session.pk)
        .exclude(session__state=TreatmentSession.State.CANCELLED)
        .select_related("session")
        .order_by("started_at", "id")
    )
    if not rows:
        return None
    nearest = min(rows, key=lambda dose: abs(at - dose.started_at))
    same = [dose for dose in rows if dose.session_id == nearest.session_id]
    return NearbyDose(
        session=nearest.session,
        started_at=same[0].started_at,
        total_mg=round(sum(float(dose.dose_mg) for dose in same), 2),
        route=nearest.route,
        devices=sum(1 for dose in same if dose.device_number is not None),
    )


def interval_hold_message(session: TreatmentSession, near: NearbyDose, at: dt.datetime) -> str:
    """The hold's words on the run-sheet, in the refusal and in the prescribers' alert."""
    zone = clinic_zone(session.clinic)
    hours = f"{pathway.MIN_HOURS_BETWEEN_DOSES:g} h"
    when = "ago" if near.started_at <= at else "after now"
    return (
        f"Another dose {duration_words(near.gap(at))} {when}: {near.words(at, zone)}. Doses less than "
        f"{hours} apart are held (clinic practice): a prescriber decides, and an override needs a written "
        "reason."
    )


def interval_override_read_needed(
    session: TreatmentSession, user: Any, now: dt.datetime
) -> NearbyDose | None:
    """The other dose a prescriber's override lets this session's first dose follow within
    `MIN_INTERVAL`, when the person recording the dose must confirm they have read that override (they
    did not write it); None otherwise."""
    if session.dose_started_at is not None or session.hold_overridden_at is None:
        return None
    if INTERVAL_HOLD not in (session.hold_overridden_codes or []):
        return None
    if session.hold_overridden_by_id is not None and session.hold_overridden_by_id == user.pk:
        return None
    return nearby_dose(session, now)


def nearby_booking(
    patient_id: int, at: dt.datetime, *, exclude_session_id: int | None = None
) -> TreatmentSession | None:
    """The patient's other session (booked or held, not cancelled) less than `MIN_INTERVAL` before or
    after ``at``, nearest first: a booking there would be held at the run-sheet, so the prescriber is
    asked first (docs/decisions/0031). A session's moment is its dose's start once dosed, else its
    booked time."""
    rows = (
        TreatmentSession.objects.filter(patient_id=patient_id)
        .exclude(state=TreatmentSession.State.CANCELLED)
        .filter(
            Q(scheduled_at__gt=at - MIN_INTERVAL, scheduled_at__lt=at + MIN_INTERVAL)
            | Q(dose_started_at__gt=at - MIN_INTERVAL, dose_started_at__lt=at + MIN_INTERVAL)
        )
        .only("pk", "scheduled_at", "dose_started_at")
    )
    near = [s for s in rows if s.pk != exclude_session_id and abs(booking_moment(s) - at) < MIN_INTERVAL]
    return min(near, key=lambda s: abs(booking_moment(s) - at), default=None)


def booking_moment(session: TreatmentSession) -> dt.datetime:
    """When a session's dose was, or is booked to be."""
    return session.dose_started_at or session.scheduled_at


def nearby_booking_message(near: TreatmentSession, at: dt.datetime, zone: Any) -> str:
    """ "This is less than 24 hours after another session (Tue 7 Dec 08:30). Book anyway?" """
    moment = booking_moment(near)
    local = moment.astimezone(zone)
    side = "after" if moment <= at else "before"
    return (
        f"This is less than {pathway.MIN_HOURS_BETWEEN_DOSES:g} hours {side} another session "
        f"({local:%a} {local.day} {local:%b %H:%M}). Book anyway?"
    )
