"""'When did it begin?' for a symptom ticked as new: the choices offered, and the answer sent.

A symptom does not always date from the treatment: a headache that began this morning, four days after
the session, is a new symptom (the core's late-onset rule, decision 0012 rule 7). So besides "about N
after the treatment" the patient can name the day it began on their own clock ("today", "yesterday",
"on Saturday 5 December"), each day after the day of the treatment. The service turns a day into
minutes after the dose (``submission.onset_from_day``); "not sure" sends nothing, and the triage then
has no onset to go on. Before any treatment only the days are offered: there is no session to count
minutes from.

The pages that list an open symptom say back what the patient gave (``began_words``): the time a
check-in was sent is when they told us, not when the symptom began. Every day is worded by ``day_words``,
so the choices, those pages and the clinic's alert name a day alike.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ketacare.core.triage import describe_minutes
from ketacare.lib.errors import FieldError

# Minutes after the start of the dose, as the patient estimates them (a phone screen's few choices, not
# a clinical number); only those already past are offered.
AFTER_TREATMENT_CHOICES = (
    ("15", "About 15 min after the treatment"),
    ("30", "About 30 min after the treatment"),
    ("60", "About 1 hour after the treatment"),
    ("120", "About 2 hours after the treatment"),
    ("240", "About 4 hours after the treatment"),
    ("480", "About 8 hours after the treatment"),
    ("720", "About 12 hours after the treatment"),
)
NOT_SURE = ("", "When it began: not sure")
DAY_PREFIX = "day:"
DAYS_OFFERED = 7  # today and the six days before it (a phone screen's list, not a clinical number)
MAX_MINUTES = 7 * 24 * 60  # the service's limit for "about N minutes after the treatment"


def day_words(day: dt.date, today: dt.date | None = None) -> str:
    """A day as the patient reads it: "today" when it is ``today``, else "Monday 7 December". Words kept
    to be read later (an alert) pass no ``today``: a stored "today" would be wrong tomorrow."""
    return "today" if day == today else f"{day:%A} {day.day} {day:%B}"


def _day_label(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "It began today"
    if day == today - dt.timedelta(days=1):
        return "It began yesterday"
    return f"It began on {day_words(day)}"


def onset_choices(
    dose_started_at: dt.datetime | None, *, time_zone: str, now: dt.datetime
) -> tuple[tuple[str, str], ...]:
    """The "when it began" choices: not sure, the times after the treatment that have passed, then each
    day after the day of the treatment up to today (at most the last seven days), oldest first.

    With no dose on record there is no treatment to count from: the days only, the last seven.
    """
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    last_week = today - dt.timedelta(days=DAYS_OFFERED - 1)
    if dose_started_at is None:
        times: list[tuple[str, str]] = []
        first = last_week
    else:
        minutes = (now - dose_started_at).total_seconds() / 60
        times = [(value, text) for value, text in AFTER_TREATMENT_CHOICES if int(value) <= minutes]
        first = max(dose_started_at.astimezone(zone).date() + dt.timedelta(days=1), last_week)
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    return (
        NOT_SURE,
        *times,
        *((f"{DAY_PREFIX}{day.isoformat()}", _day_label(day, today)) for day in days),
    )


def parse_onset(
    raw: str, *, symptom_id: str, name: str, days_only: bool = False
) -> tuple[float | None, dt.date | None]:
    """The answer sent for one symptom: (minutes after the treatment, None), (None, the day it began), or
    (None, None) for "not sure"; FieldError on ``onset_<symptom_id>`` for anything else, and for minutes
    when ``days_only`` (no treatment on record to count them from)."""
    if raw == "":
        return None, None
    if raw.isascii() and raw.isdigit() and len(raw) <= 5 and int(raw) <= MAX_MINUTES and not days_only:
        return float(raw), None
    if raw.startswith(DAY_PREFIX):
        try:
            return None, dt.date.fromisoformat(raw.removeprefix(DAY_PREFIX))
        except ValueError:
            pass
    raise FieldError(
        f"onset_{symptom_id}",
        f"When it began ({name}): choose one of the {'days' if days_only else 'times or days'} offered, "
        "or “not sure”",
    )


def began_words(
    *,
    onset_day: dt.date | None,
    onset_min: float | None,
    dose_started_at: dt.datetime | None,
    reported_at: dt.datetime,
    zone: dt.tzinfo,
    now: dt.datetime,
) -> str:
    """When a symptom began, in the patient's own terms, on the clock of ``zone``: "since today" or
    "since Monday 7 December" for a day they named, "since about 30 minutes after your session" for a
    time after the treatment. With neither (a red flag, "not sure") only when they told us is known:
    "reported today", "reported on Monday 7 December", with no clock time that would read as its start.
    """
    today = now.astimezone(zone).date()
    if onset_day is not None:
        return f"since {day_words(onset_day, today)}"
    if onset_min is not None and dose_started_at is not None:
        return (
            f"since about {describe_minutes(onset_min)} after your session"
            if onset_min >= 1
            else "since your session"
        )
    reported = reported_at.astimezone(zone).date()
    return "reported today" if reported == today else f"reported on {day_words(reported, today)}"
