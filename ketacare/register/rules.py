"""The register rules of each jurisdiction, read from jurisdictions.toml (data with sources, no branches).

A deadline counts business days as Monday to Friday in the clinic's zone; public holidays are not
modelled (unverified: a holiday moves the DEA "one business day" later, so the date shown is the
earliest, never a late one).
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("jurisdictions.toml")


@dataclass(frozen=True)
class Deadline:
    id: str
    label: str
    due_on: dt.date
    source: str
    verified: bool


@functools.cache
def _data() -> dict[str, Any]:
    with DATA.open("rb") as handle:
        return tomllib.load(handle)


def sources() -> dict[str, dict[str, str]]:
    return dict(_data()["sources"])


def jurisdictions() -> dict[str, dict[str, Any]]:
    return dict(_data()["jurisdictions"])


def jurisdiction(code: str) -> dict[str, Any]:
    """The rules of `code`; a KeyError names the codes that exist."""
    found = jurisdictions().get(code)
    if found is None:
        raise KeyError(f"jurisdiction {code!r} is not one of {', '.join(sorted(jurisdictions()))}")
    return found


def add_business_days(day: dt.date, count: int) -> dt.date:
    """`count` Monday-to-Friday days after `day` (holidays not modelled)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def loss_deadlines(code: str, discovered_at: dt.datetime, time_zone: str) -> list[Deadline]:
    """The dates by which a theft or loss discovered at `discovered_at` must be reported, per the rules."""
    local_day = discovered_at.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    found: list[Deadline] = []
    for rule in jurisdiction(code).get("loss_deadlines", []):
        if "business_days" in rule:
            due = add_business_days(local_day, int(rule["business_days"]))
        else:
            due = local_day + dt.timedelta(days=int(rule["calendar_days"]))
        found.append(Deadline(rule["id"], rule["label"], due, rule["source"], bool(rule.get("verified"))))
    return found
