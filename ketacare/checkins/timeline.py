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
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.core import knowledge as kb
from ketacare.core.dayrules import DayRule, active_rules, when_words
from ketacare.core.knowledge import AftercarePhase
from ketacare.core.protocols import get_route, route_ids
from ketacare.core.triage import describe_minutes

EVENING = dt.time(18)  # clinic practice: when "the first few hours" become "the rest of the day"
AFTER_SLEEP = dt.time(
    12
)  # clinic practice: until the next day's noon the phase is still "the rest of the day"


JUST_NOW_MIN = 2  # under two minutes since the dose started, "just now"


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the home page shows after a dose."""

    since: str  # how long ago the dose started, in words: "just now", "3 hours ago"
    phase: AftercarePhase
    next_phase: AftercarePhase | None
    expected_now: list[tuple[str, str]]  # (effect name, "usually passes by about ...")
    rules: list[DayRule]


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


def timeline(
    *,
    route: str,
    started_at: dt.datetime,
    now: dt.datetime,
    time_zone: str,
    left_at: dt.datetime | None = None,
) -> Timeline:
    """The current aftercare phase, effects expected now (with when they usually pass, on the patient's
    clock) and the day's rules still active (core.dayrules, counted from ``left_at``, else the dose)."""
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
                until = (started_at + dt.timedelta(minutes=window.resolution_min)).astimezone(zone)
                expected_now.append(
                    (
                        effect.name,
                        f"usually passes by about {describe_minutes(window.resolution_min)} after the dose "
                        f"(around {when_words(until, reference=now)})",
                    )
                )
    rules: list[DayRule] = []
    if route in route_ids():
        # One rule engine for the day (core.dayrules): the same objects as the discharge sheet and e-mails.
        rules = list(active_rules(route=route, left_at=left_at or started_at, time_zone=time_zone, now=now))
    active = rules
    return Timeline(
        # "0 minutes ago" reads like a glitch (the companion's "You left the clinic just now" alike).
        since="just now" if minutes < JUST_NOW_MIN else f"{describe_minutes(minutes)} ago",
        phase=phases[index],
        next_phase=phases[index + 1] if index + 1 < len(phases) else None,
        expected_now=expected_now,
        rules=active,
    )


def fasting_text(clinic: Any, route: str) -> dict[str, Any]:
    """What to do about eating and drinking before a session: the clinic's own instruction when it has
    set one (clinic settings), else the route's sourced rule, else the protocol's note, with its sources."""
    own = (getattr(clinic, "fasting_instructions", "") or "").strip()
    if own:
        return {"text": own, "by": "clinic", "sources": ()}
    if route in route_ids():
        fasting = get_route(route).fasting
        parts = []
        if fasting.food_minutes_before:
            parts.append(f"No food for {describe_minutes(fasting.food_minutes_before)} before your session.")
        if fasting.liquids_minutes_before:
            parts.append(
                f"Nothing to drink for {describe_minutes(fasting.liquids_minutes_before)} before your session."
            )
        if parts:
            return {"text": " ".join(parts), "by": "sources", "sources": fasting.cited.sources}
        return {
            "text": "There is no published fasting rule for this treatment and your clinic has not set its own "
            "instruction yet: ask the clinic what to do about eating and drinking before your session.",
            "by": "default",
            "sources": fasting.cited.sources,
        }
    return {"text": "", "by": "", "sources": ()}
