"""The patient's day after a session: one rule engine, one wording, one end time per rule.

Driving and machinery (one rule, as the sourced route rule words it), alcohol, important decisions and eating are computed here once, from the route's
driving rule (core ``protocols.toml``), the aftercare items (core ``aftercare.toml``) and the time the
patient left the clinic. The home screen, the discharge page and PDF, Learn and e-mails all render the
:class:`DayRule` objects this returns, so they cannot say three different things.

Times are computed in the patient's zone. Two times are KetaCare's reading of "the next day, after a
restful sleep" (clinic practice, not published numbers): the next morning at ``NEXT_MORNING`` local
time, and never earlier than a minimum stated in the sourced rule text itself ("at least 24 hours").
The clock is never read here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ketacare.core import knowledge as kb
from ketacare.core.display import route_name
from ketacare.core.protocols import get_route, route_ids

# Clinic practice: "the next day, after a restful sleep" read as not before 09:00 the next morning.
NEXT_MORNING = dt.time(9)
AFTER_SLEEP_WORDS = "and only after a night's sleep and when you feel fully normal"
# No alcohol or cannabis for this long after leaving: what many clinics ask (aftercare.toml "no_alcohol",
# clinic practice [Nervana] [GoodRx]).
ALCOHOL_HOURS = 24
_AT_LEAST_HOURS = re.compile(r"at least (\d+) hours")


class DayRuleError(ValueError):
    """Invalid input to the day rules (unknown route, naive datetime, unknown zone)."""


@dataclass(frozen=True, slots=True)
class DayRule:
    """One rule for the rest of the patient's day: what, until when (in words and as a time), why."""

    id: str  # driving (and machinery) | alcohol | decisions | eating
    title: str
    text: str
    ends_at: dt.datetime | None  # aware, in the patient's zone; None: for today, no end to wait for
    end_text: str
    reason: str
    sources: tuple[str, ...]
    evidence: str
    # The end in words while the patient is still at the clinic: it counts from leaving, which has no
    # time yet, and a time counted from the end of the dose would be too early.
    end_before_leaving: str = ""

    def active(self, now: dt.datetime) -> bool:
        """Whether the rule still applies at ``now``."""
        return self.ends_at is None or now < self.ends_at

    @property
    def sentence(self) -> str:
        """The rule and its end in one sentence, as every page shows it ("No driving and no machinery
        before 09:00 tomorrow, Sunday 6 December, and only after a night's sleep and when you feel fully
        normal.")."""
        return f"{self.text} {self.end_text}." if self.end_text else f"{self.text}."

    @property
    def sentence_before_leaving(self) -> str:
        """The rule as a patient still at the clinic reads it: its end described, not dated."""
        end = self.end_before_leaving or self.end_text
        return f"{self.text} {end}." if end else f"{self.text}."


def when_words(moment: dt.datetime, *, reference: dt.datetime) -> str:
    """'09:00 tomorrow, Sunday 6 December' (or 'today', or just the weekday and date) in moment's zone."""
    days = (moment.date() - reference.astimezone(moment.tzinfo).date()).days
    day = {0: "today", 1: "tomorrow"}.get(days)
    date = f"{moment:%A} {moment.day} {moment:%B}"
    return f"{moment:%H:%M} {day}, {date}" if day else f"{moment:%H:%M} on {date}"


def _aftercare_item(item_id: str) -> kb.GuidanceItem:
    for phase in kb.aftercare_phases():
        for item in phase.items:
            if item.id == item_id:
                return item
    raise DayRuleError(f"aftercare item {item_id!r} is missing from aftercare.toml")  # pragma: no cover


def minimum_hours(route: str) -> int | None:
    """The minimum stated in the route's sourced driving rule ("at least 24 hours"), if any."""
    match = _AT_LEAST_HOURS.search(get_route(route).driving.rule)
    return int(match.group(1)) if match else None


def _earliest_words(route: str) -> str:
    """When driving may start again after ``route``, counted as :func:`day_rules` counts it: the next
    morning, or the route's sourced minimum from the time the patient leaves the clinic (``left_at``)
    when that is later. One end, said as one: two limits side by side read as two rules."""
    hours = minimum_hours(route)
    morning = f"{NEXT_MORNING:%H:%M} the next morning"
    if hours is None:
        return f"until {morning}"
    return f"until {hours} hours after you leave the clinic or {morning}, whichever is later"


def _one_of(names: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


def driving_rule_words(route: str | None = None) -> str:
    """The driving rule before any session has a time: the words :func:`day_rules` uses, with the end
    described instead of dated ("until 09:00 the next morning, and only after ...").

    ``route`` adds the sourced minimum of that route, counted from leaving the clinic as the dated
    rule counts it ("until 24 hours after you leave the clinic or 09:00 the next morning, whichever is
    later"). Without a route (a page that does not know the patient's treatment) each route's rule is
    stated under the route's name, routes with the same rule together, so no patient reads a rule that
    is not theirs as if it were. For Learn, preparation and e-mails, where no discharge time exists yet.
    """
    if route is not None and route not in route_ids():
        raise DayRuleError(f"unknown route {route!r}: allowed {', '.join(route_ids())}")
    if route:
        return (
            f"No driving and no machinery after a session {_earliest_words(route)}, "
            f"{AFTER_SLEEP_WORDS}. Someone else takes you home."
        )
    by_rule: dict[str, list[str]] = {}
    for each in route_ids():
        by_rule.setdefault(_earliest_words(each), []).append(route_name(each))
    if len(by_rule) == 1:
        return driving_rule_words(route_ids()[0])
    per_route = " ".join(f"After {_one_of(names)}: {earliest}." for earliest, names in by_rule.items())
    return (
        f"No driving and no machinery after a session. {per_route} In every case "
        f"{AFTER_SLEEP_WORDS.removeprefix('and ')}. Someone else takes you home."
    )


def day_rules(
    *, route: str, left_at: dt.datetime, time_zone: str, read_at: dt.datetime | None = None
) -> tuple[DayRule, ...]:
    """The rules for the rest of the day after a dose by ``route``, the patient having left at ``left_at``.

    The end words say "today" and "tomorrow" as seen at ``read_at`` (default ``left_at``): a page
    rendered the morning after must not call that morning "tomorrow".

    ``left_at`` is the discharge time when recorded, else the start of the dose (earlier, never later
    than the truth, so an end time counted from it is the least it can be; the next-morning rule
    usually dominates anyway).
    """
    if route not in route_ids():
        raise DayRuleError(f"unknown route {route!r}: allowed {', '.join(route_ids())}")
    if left_at.tzinfo is None:
        raise DayRuleError("left_at must be timezone-aware")
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError) as error:
        raise DayRuleError(f"unknown time zone {time_zone!r}") from error
    local = left_at.astimezone(zone)
    reference = read_at or left_at
    next_morning = dt.datetime.combine(local.date() + dt.timedelta(days=1), NEXT_MORNING, tzinfo=zone)
    driving = get_route(route).driving
    hours = minimum_hours(route)
    drive_end = next_morning
    if hours is not None:
        drive_end = max(drive_end, (left_at + dt.timedelta(hours=hours)).astimezone(zone))
    drive_when = f"before {when_words(drive_end, reference=reference)}, {AFTER_SLEEP_WORDS}"
    alcohol = _aftercare_item("no_alcohol")
    decisions = _aftercare_item("no_big_decisions")
    food = _aftercare_item("water_and_food")
    # The alcohol item names 24 hours as what many clinics ask (aftercare.toml): the later of that and the morning.
    alcohol_end = max(next_morning, (left_at + dt.timedelta(hours=ALCOHOL_HOURS)).astimezone(zone))
    return (
        DayRule(
            id="driving",
            title="Driving and machinery",
            text="No driving and no machinery",
            ends_at=drive_end,
            end_text=drive_when,
            end_before_leaving=f"{_earliest_words(route)}, {AFTER_SLEEP_WORDS}",
            reason="Someone else takes you home.",
            sources=driving.cited.sources,
            evidence=driving.cited.evidence,
        ),
        DayRule(
            id="alcohol",
            title="Alcohol",
            text="No alcohol or cannabis",
            ends_at=alcohol_end,
            end_text=f"before {when_words(alcohol_end, reference=reference)}",
            end_before_leaving=f"until {ALCOHOL_HOURS} hours after you leave the clinic or "
            f"{NEXT_MORNING:%H:%M} the next morning, whichever is later",
            reason="They add to the sleepiness ketamine causes.",
            sources=alcohol.sources,
            evidence=alcohol.evidence,
        ),
        DayRule(
            id="decisions",
            title="Important decisions",
            text="No important decisions (money, contracts, big messages)",
            ends_at=next_morning,
            end_text=f"before {when_words(next_morning, reference=reference)}, {AFTER_SLEEP_WORDS}",
            end_before_leaving=f"until {NEXT_MORNING:%H:%M} the morning after you leave the clinic, "
            f"{AFTER_SLEEP_WORDS}",
            reason="",
            sources=decisions.sources,
            evidence=decisions.evidence,
        ),
        DayRule(
            id="eating",
            title="Eating and drinking",
            text=food.text.rstrip("."),
            ends_at=None,
            end_text="",
            reason="",
            sources=food.sources,
            evidence=food.evidence,
        ),
    )


def active_rules(
    *, route: str, left_at: dt.datetime, time_zone: str, now: dt.datetime
) -> tuple[DayRule, ...]:
    """The rules still in force at ``now`` (eating advice only on the session day)."""
    rules = day_rules(route=route, left_at=left_at, time_zone=time_zone, read_at=now)
    zone = ZoneInfo(time_zone)
    same_day = now.astimezone(zone).date() == left_at.astimezone(zone).date()
    return tuple(
        r for r in rules if (r.ends_at is not None and r.active(now)) or (r.ends_at is None and same_day)
    )
