"""The words of a side effect's "lasting longer than expected" alert, as the care team reads them.

Two things the clinician must see at a glance. How far past its usual time the effect was seen, to the
minute: the patient pages round to the half hour ("about 24 hours"), which made "seen 24 hours after
the dose" beside "usually gone by about 24 hours" read as on time. And which dose it follows, by the
dose's day on the clinic's clock: a patient with a headache after two doses has two alerts, and they
must be told apart in the inbox without opening each.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.onset import day_words

# Up to two days a duration reads in hours ("30 h 5 min"), as the windows of the knowledge base do.
_HOURS_UP_TO_MIN = 2 * 1440


def elapsed_words(whole_minutes: int) -> str:
    """Whole minutes in words, exact: "45 minutes", "24 hours", "24 h 20 min", "2 days 3 h 5 min"."""
    days, rest = divmod(whole_minutes, 1440) if whole_minutes >= _HOURS_UP_TO_MIN else (0, whole_minutes)
    hours, minutes = divmod(rest, 60)
    parts = [
        (n, short, long)
        for n, short, long in ((days, "day", "day"), (hours, "h", "hour"), (minutes, "min", "minute"))
        if n
    ]
    if not parts:
        return "0 minutes"
    if len(parts) == 1:
        count, _short, unit = parts[0]
        return f"{count} {unit}{'s' if count != 1 else ''}"
    return " ".join(f"{n} {short}{'s' if short == 'day' and n != 1 else ''}" for n, short, _long in parts)


def dose_words(dose_started_at: dt.datetime, *, time_zone: str) -> str:
    """The dose by its day on the clinic's clock: "the dose on Monday 30 November" (stored words, read
    on later days, so never "today")."""
    return f"the dose on {day_words(dose_started_at.astimezone(ZoneInfo(time_zone)).date())}"


def longer_than_expected_words(
    episode: SymptomReport, *, minutes: float | None, time_zone: str
) -> tuple[str, str]:
    """The alert's title and detail for ``episode`` seen present ``minutes`` after its dose.

    Seen past its usual time, the time seen is the nearest minute but never shown at or before the usual
    time (a report 30 seconds past "24 hours" reads "24 h 1 min", 1 minute past), and the overrun is
    said in words. Raised because the patient says it lasts longer than usual, while still inside its
    usual time, the detail says that instead of an overrun there is not.
    """
    dose = dose_words(episode.dose_started_at, time_zone=time_zone) if episode.dose_started_at else ""
    title = f"{episode.name} lasting longer than expected" + (f" after {dose}" if dose else "")
    usual_min = episode.expected_resolution_min
    after = f"after {dose}" if dose else "after the dose"
    if minutes is None:
        detail = f"{episode.name} still reported."
    elif usual_min is None:
        detail = f"{episode.name} seen {elapsed_words(round(minutes))} {after}."
    else:
        usual = math.floor(usual_min)
        if minutes > usual_min:
            seen = max(round(minutes), usual + 1)
            detail = (
                f"{episode.name} seen {elapsed_words(seen)} {after}, {elapsed_words(seen - usual)} past "
                f"its usual time (usually gone by about {elapsed_words(usual)})."
            )
        else:
            detail = (
                f"{episode.name} seen {elapsed_words(math.floor(minutes))} {after}, within its usual time "
                f"(usually gone by about {elapsed_words(usual)})."
            )
    if episode.says_longer:
        detail += " The patient says it is lasting longer than usual for them."
    return title[:200], f"{detail} The patient was asked to contact the clinic today."
