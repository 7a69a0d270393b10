"""'When did it go?' for a symptom the patient says has gone: the times offered, and the check of the
time sent.

A symptom cannot have gone before it was last seen present (its end lies between then and now,
docs/decisions/0014), so only the times after that are offered, "just now" always among them. A time
sent anyway from before it (an old page, a hand-made request) is refused with the field and the
allowed range named, instead of being moved silently to the last sighting.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ketacare.checkins.models import SymptomReport
from ketacare.lib.errors import FieldError

# Minutes ago, as the patient estimates them (a phone screen's few choices, not a clinical number).
GONE_CHOICES = (
    ("", "Gone: not sure when"),
    ("0", "Gone just now"),
    ("30", "About 30 min ago"),
    ("60", "About 1 hour ago"),
    ("120", "About 2 hours ago"),
    ("240", "About 4 hours ago"),
)
ALWAYS_OFFERED = ("", "0")
DIGITS_MAX = 5  # more minutes than the longest choice needs; a longer value is refused as it stands


def last_seen(episode: SymptomReport) -> dt.datetime:
    """When the symptom was last seen present: the earliest it can have gone."""
    return episode.last_seen_at or episode.started_at


def gone_limit_minutes(episode: SymptomReport, now: dt.datetime) -> int:
    """The most whole minutes ago the symptom can have gone (0 when it was seen present just now)."""
    return max(int((now - last_seen(episode)).total_seconds() // 60), 0)


def gone_choices(episode: SymptomReport, now: dt.datetime) -> tuple[tuple[str, str], ...]:
    """The choices that fall after the symptom was last seen present; "not sure" and "just now" always."""
    limit = gone_limit_minutes(episode, now)
    return tuple(
        (value, text) for value, text in GONE_CHOICES if value in ALWAYS_OFFERED or int(value) <= limit
    )


def _clock(moment: dt.datetime, *, time_zone: str, now: dt.datetime) -> str:
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def gone_range_message(episode: SymptomReport, *, time_zone: str, now: dt.datetime) -> str:
    """The refusal: the field (when it went, for which symptom) and the times allowed."""
    since = _clock(last_seen(episode), time_zone=time_zone, now=now)
    return (
        f"When it went ({episode.name}): choose a time between {since}, when you last told us it was "
        "there, and now."
    )


def gone_minutes_ago(
    raw: str, episode: SymptomReport, *, field: str, time_zone: str, now: dt.datetime
) -> int | None:
    """The answer sent for "when did it go?" in minutes ago (None: not sure), or FieldError on ``field``
    when it is not a whole number of minutes after the symptom was last seen present."""
    if raw == "":
        return None
    if (
        len(raw) > DIGITS_MAX
        or not (raw.isascii() and raw.isdigit())
        or int(raw) > gone_limit_minutes(episode, now)
    ):
        raise FieldError(field, gone_range_message(episode, time_zone=time_zone, now=now))
    return int(raw)
