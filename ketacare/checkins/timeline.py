"""The patient's "what to expect now and next" after the last dose, from the core's aftercare data.

Calendar reasoning happens in the patient's zone. Which aftercare phase applies is read from the
phase definitions' own wording (core aftercare.toml): "first hours" until the evening of the
session day, "rest of the day" until the patient has slept, "24-72 h" until the third day after,
then "following weeks". The evening (18:00) and the morning after sleep (12:00 next day, a
deliberately late "after a restful sleep") are clinic practice, chosen so that no rule ends early.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ketacare.core import knowledge as kb
from ketacare.core.knowledge import AftercarePhase
from ketacare.core.protocols import get_route, route_ids
from ketacare.core.triage import describe_minutes

EVENING = dt.time(18)  # clinic practice: when "the first few hours" become "the rest of the day"
AFTER_SLEEP = dt.time(12)  # clinic practice: the next day's noon stands for "after a restful sleep"


@dataclass(frozen=True, slots=True)
class SafetyRule:
    """A rule active now, and when it ends."""

    text: str
    ends_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the home page shows after a dose."""

    since: str
    phase: AftercarePhase
    next_phase: AftercarePhase | None
    expected_now: list[tuple[str, str]]  # (effect name, "usually passes by about ...")
    rules: list[SafetyRule]


def _phase_id(started_at: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    local_start, local_now = started_at.astimezone(zone), now.astimezone(zone)
    days = (local_now.date() - local_start.date()).days
    if days == 0:
        return "first_hours" if local_now.time() < EVENING else "rest_of_day"
    if days == 1 and local_now.time() < AFTER_SLEEP:
        return "rest_of_day"
    if days <= 3:
        return "24_72h"
    return "following_weeks"


def timeline(*, route: str, started_at: dt.datetime, now: dt.datetime, time_zone: str) -> Timeline:
    """The current aftercare phase, effects expected now, and active rules with their end times."""
    zone = ZoneInfo(time_zone)
    minutes = max((now - started_at).total_seconds() / 60, 0.0)
    phases = kb.aftercare_phases()
    phase_id = _phase_id(started_at, now, zone)
    index = next(i for i, p in enumerate(phases) if p.id == phase_id)
    expected_now = []
    if route in kb.ROUTES:
        for effect in kb.side_effects():
            window = effect.course(route).window
            if window.contains(minutes):
                expected_now.append(
                    (
                        effect.name,
                        f"usually passes by about {describe_minutes(window.resolution_min)} after the dose",
                    )
                )
    next_morning = dt.datetime.combine(
        started_at.astimezone(zone).date() + dt.timedelta(days=1), AFTER_SLEEP, tzinfo=zone
    )
    rules: list[SafetyRule] = []
    if route in route_ids():
        # The later of "the next day after sleep" and 24 h, so a rule that says "at least 24 hours" never ends early.
        driving_end = max(next_morning, started_at + dt.timedelta(hours=24))
        rules.append(SafetyRule(get_route(route).driving.rule, driving_end))
    for phase in phases:
        if phase.id in ("first_hours", "rest_of_day"):
            for item in phase.items:
                if item.kind == "avoid" and item.audience == "patient":
                    rules.append(SafetyRule(item.text, next_morning))
    active = [r for r in rules if r.ends_at > now]
    return Timeline(
        since=describe_minutes(minutes),
        phase=phases[index],
        next_phase=phases[index + 1] if index + 1 < len(phases) else None,
        expected_now=expected_now,
        rules=active,
    )
