"""The route-specific preparation checklist, built from the core's protocol and knowledge data.

The checklist is ticked for one booked session (its appointment); without one it is only read
(docs/decisions/0026): "0 of 4 done" for no session reads as a failure to prepare.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.core import dayrules
from ketacare.core import knowledge as kb
from ketacare.core.protocols import get_route, route_ids
from ketacare.core.triage import describe_minutes


@dataclass(frozen=True, slots=True)
class PrepItem:
    """One thing to do before a session, with where the rule comes from."""

    id: str
    text: str
    basis: str  # "evidence" or "clinic practice"
    sources: tuple[str, ...]
    # About the hours before the session (food, drink, a nasal spray): done only on its day, so it is
    # not offered for ticking, nor counted, on the days before.
    on_the_day: bool = False


@dataclass(frozen=True, slots=True)
class PrepProgress:
    """What the count says: ticked of those that can be ticked now, and those waiting for the day."""

    done: int
    tickable: int
    on_the_day: int


def before_session_day(starts_at: dt.datetime, *, clinic_zone: str, now: dt.datetime) -> bool:
    """Whether ``now`` is on an earlier calendar day than the session, at the clinic."""
    zone = ZoneInfo(clinic_zone)
    return now.astimezone(zone).date() < starts_at.astimezone(zone).date()


def progress(items: list[PrepItem], ticks: dict[str, bool], *, before_the_day: bool) -> PrepProgress:
    waiting = [i for i in items if i.on_the_day and before_the_day]
    now_items = [i for i in items if not (i.on_the_day and before_the_day)]
    return PrepProgress(sum(1 for i in now_items if ticks.get(i.id)), len(now_items), len(waiting))


def preparation_items(route: str, clinic: Any = None) -> list[PrepItem]:
    """The checklist for ``route`` (one of the core's routes); an unknown route gets the general items.

    The clinic's own fasting instruction (clinic settings), when set, comes first.
    """
    items: list[PrepItem] = []
    own = (getattr(clinic, "fasting_instructions", "") or "").strip() if clinic is not None else ""
    if own:
        items.append(PrepItem("clinic_fasting", own, "your clinic's instruction", ()))
    if route in route_ids():
        rules = get_route(route)
        fasting = rules.fasting
        basis = "clinic practice" if fasting.cited.is_clinic_practice else "evidence"
        if fasting.food_minutes_before:
            items.append(
                PrepItem(
                    "no_food",
                    f"No food for {describe_minutes(fasting.food_minutes_before)} before your session.",
                    basis,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if fasting.liquids_minutes_before:
            items.append(
                PrepItem(
                    "no_liquids",
                    f"Nothing to drink for {describe_minutes(fasting.liquids_minutes_before)} before your session.",
                    basis,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if fasting.nasal_steroid_minutes_before:
            items.append(
                PrepItem(
                    "nasal_spray_timing",
                    "If you use a nasal steroid or decongestant spray, use it at least "
                    f"{describe_minutes(fasting.nasal_steroid_minutes_before)} before your session.",
                    basis,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if not (fasting.food_minutes_before or fasting.liquids_minutes_before or own):
            items.append(
                PrepItem(
                    "fasting_instruction",
                    "There is no published fasting rule for this treatment and your clinic has not set its own "
                    "instruction yet: ask the clinic what to do about eating and drinking before your session.",
                    "clinic practice",
                    fasting.cited.sources,
                )
            )
        items.append(
            PrepItem("ride_home", dayrules.driving_rule_words(route), "evidence", rules.driving.cited.sources)
        )
    else:
        items.append(
            PrepItem(
                "ride_home",
                dayrules.driving_rule_words(),
                "clinic practice",
                (kb.CLINIC_PRACTICE,),
            )
        )
    interacting = [i for i in kb.interactions() if i.level == "precaution"]
    items.append(
        PrepItem(
            "medications",
            "Tell your clinic about every medicine you take, especially "
            + ", ".join(i.name.lower() for i in interacting[:6])
            + ". Do not stop a prescribed medicine without asking.",
            "evidence",
            tuple(dict.fromkeys(s for i in interacting[:6] for s in i.sources)),
        )
    )
    items.append(
        PrepItem(
            "support_person",
            "A support person knows about your session and can be reached afterwards.",
            "clinic practice",
            (kb.CLINIC_PRACTICE,),
        )
    )
    return items


def session_day(starts_at: dt.datetime, *, clinic_zone: str, patient_zone: str) -> str:
    """'Tuesday 8 December': the calendar day of a session at the clinic, in the clinic's zone.

    When the patient's own zone is another one, the clinic's is named ("Tuesday 8 December (New York
    time)"), since the patient's pages show the appointment's time on their own clock.
    """
    local = starts_at.astimezone(ZoneInfo(clinic_zone))
    day = f"{local:%A} {local.day} {local:%B}"
    if clinic_zone == patient_zone:
        return day
    return f"{day} ({clinic_zone.rsplit('/', 1)[-1].replace('_', ' ')} time)"
