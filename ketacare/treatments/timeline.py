"""The run-sheet's live timeline as plain numbers for an accessible server-rendered SVG.

No JavaScript: the template draws polylines and markers from these coordinates; the vitals table
beside it carries the same data for screen readers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
# Vertical axis of the drawing (mmHg); a drawing range, not a clinical one.
AXIS_LOW, AXIS_HIGH = 40, 220


def build_timeline(session: TreatmentSession, now: dt.datetime) -> dict[str, Any] | None:
    """Coordinates for the SVG, or None before check-in."""
    if session.checked_in_at is None:
        return None
    zone = selectors.clinic_zone(session.clinic)
    points = selectors.checkpoints(session, now)
    required = selectors.observation_minutes(session)
    t0 = session.checked_in_at - dt.timedelta(minutes=5)
    # An ended session's chart ends with it: read days later, "now" would stretch the axis over the days
    # between and squeeze the readings into a sliver.
    ended_at = session.discharged_at or session.cancelled_at
    until = min(now, ended_at) if ended_at is not None else now
    vitals = selectors.valid_vitals(session)
    ends = [until, *(p.due_at for p in points), *(v.measured_at for v in vitals)]
    if session.dose_ended_at:
        ends.append(session.dose_ended_at + dt.timedelta(minutes=required))
    if session.discharged_at:
        ends.append(session.discharged_at)
    t1 = max(ends) + dt.timedelta(minutes=5)
    span = max((t1 - t0).total_seconds(), 60.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: dt.datetime) -> float:
        return round(LEFT + (at - t0).total_seconds() / span * plot_w, 1)

    def y(value: float) -> float:
        clamped = min(max(value, AXIS_LOW), AXIS_HIGH)
        return round(TOP + (AXIS_HIGH - clamped) / (AXIS_HIGH - AXIS_LOW) * plot_h, 1)

    readings = [
        {
            "x": x(v.measured_at),
            "ys": y(v.systolic_mmhg),
            "yd": y(v.diastolic_mmhg),
            "label": f"{v.measured_at.astimezone(zone):%H:%M} {v.systolic_mmhg}/{v.diastolic_mmhg} mmHg",
            "flagged": bool(v.flags),
        }
        for v in vitals
    ]
    ticks = []
    tick = t0.astimezone(zone).replace(second=0, microsecond=0)
    tick += dt.timedelta(minutes=(30 - tick.minute % 30) % 30)
    while tick <= t1:
        ticks.append({"x": x(tick), "label": f"{tick:%H:%M}"})
        tick += dt.timedelta(minutes=30)
    dose = None
    if session.dose_started_at:
        dose_end = session.dose_ended_at or until
        dose = {
            "x": x(session.dose_started_at),
            "w": max(2.0, round(x(dose_end) - x(session.dose_started_at), 1)),
        }
    earliest = (
        x(session.dose_ended_at + dt.timedelta(minutes=required))
        if session.dose_ended_at is not None
        else None
    )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot_left": LEFT,
        "plot_right": WIDTH - RIGHT,
        "plot_top": TOP,
        "plot_bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 8,
        "systolic": " ".join(f"{r['x']},{r['ys']}" for r in readings),
        "diastolic": " ".join(f"{r['x']},{r['yd']}" for r in readings),
        "readings": readings,
        "grid": [{"y": y(v), "label": v} for v in (60, 100, 140, 180, 220)],
        "ticks": ticks,
        "checkpoints": [
            {
                "x": x(p.due_at),
                "status": p.status,
                "label": f"{p.label} {p.due_at.astimezone(zone):%H:%M} ({p.status})",
            }
            for p in points
        ],
        "dose": dose,
        "now": x(now) if ended_at is None and t0 <= now <= t1 else None,
        "earliest_discharge": earliest,
    }
