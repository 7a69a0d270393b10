"""'When did it begin?' for a symptom ticked as new: the choices offered, and the answer sent.

A symptom does not always date from the treatment: a headache that began this morning, four days after
the session, is a new symptom (the core's late-onset rule, decision 0012 rule 7). So besides "about N
after your session on Thursday 3 December" (the session named: days on, "the treatment" says not which)
the patient can name the day it began on their own clock ("today", "yesterday",
"on Saturday 5 December"), each day after the day of the treatment. The service turns a day into
minutes after the dose (``submission.onset_from_day``); "not sure" sends nothing, and the triage then
has no onset to go on. Before any treatment only the days are offered: there is no session to count
minutes from.

The pages that list an open symptom say back what the patient gave (``began_words``): the time a
check-in was sent is when they told us, not when the symptom began. Every day is worded by ``day_words``,
so the choices, those pages and the clinic's alert name a day alike; every time after the treatment in
the words of the choice offered (``after_treatment_words``). A symptom sent with no start is never said
to have been there since the dose (``reported_without_a_start``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from ketacare.core.triage import ReportTriage, TriageResult, describe_minutes
from ketacare.lib.errors import FieldError

# Minutes after the start of the dose, as the patient estimates them (a phone screen's few choices, not
# a clinical number), with the words each is offered in; only those already past are offered. The pages
# that say back when a symptom began use the same words (``after_treatment_words``).
AFTER_TREATMENT = (
    (15, "15 minutes"),
    (30, "30 minutes"),
    (60, "1 hour"),
    (120, "2 hours"),
    (240, "4 hours"),
    (480, "8 hours"),
    (720, "12 hours"),
)
NOT_SURE = ("", "When it began: not sure")
DAY_PREFIX = "day:"
DAYS_OFFERED = 7  # today and the six days before it (a phone screen's list, not a clinical number)
MAX_MINUTES = 7 * 24 * 60  # the service's limit for "about N minutes after the treatment"


def day_words(day: dt.date, today: dt.date | None = None) -> str:
    """A day as the patient reads it: "today" when it is ``today``, else "Monday 7 December". Words kept
    to be read later (an alert) pass no ``today``: a stored "today" would be wrong tomorrow."""
    return "today" if day == today else f"{day:%A} {day.day} {day:%B}"


def after_treatment_words(minutes: float) -> str:
    """How long after the treatment a symptom began, in the words of the choice the form offered for it
    ("1 hour" for 60, as "About 1 hour after your session on ..." said); a time the form does not offer (the
    JSON API takes any) in the core's plain duration words."""
    offered: dict[float, str] = dict(AFTER_TREATMENT)  # 60.0 finds 60
    return offered.get(minutes, describe_minutes(minutes))


def after_session_label(words: str, session_day: dt.date, today: dt.date) -> str:
    """One "about N after" choice, naming the session it counts from: a patient three days on does not
    know which treatment "the treatment" is ("About 1 hour after your session on Friday 4 December")."""
    when = "today" if session_day == today else f"on {day_words(session_day)}"
    return f"About {words} after your session {when}"


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
        session_day = dose_started_at.astimezone(zone).date()
        times = [
            (str(value), after_session_label(words, session_day, today))
            for value, words in AFTER_TREATMENT
            if value <= minutes
        ]
        first = max(session_day + dt.timedelta(days=1), last_week)
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
    "since Monday 7 December" for a day they named, "since about 1 hour after your session" for a time
    after the treatment, in the words of the choice the form offered. With neither (a red flag, "not
    sure") only when they told us is known: "reported today", "reported on Monday 7 December", with no
    clock time that would read as its start.
    """
    today = now.astimezone(zone).date()
    if onset_day is not None:
        return f"since {day_words(onset_day, today)}"
    if onset_min is not None and dose_started_at is not None:
        return (
            f"since about {after_treatment_words(onset_min)} after your session"
            if onset_min >= 1
            else "since your session"
        )
    reported = reported_at.astimezone(zone).date()
    return "reported today" if reported == today else f"reported on {day_words(reported, today)}"


def reported_without_a_start(result: TriageResult, symptom_ids: Collection[str]) -> TriageResult:
    """The triage with no claim that a symptom has been there since the dose when the patient did not
    say when it began (``symptom_ids``: ticked as new with "not sure", or sent with no onset).

    The core words a side effect seen past its window as "is still there 4 days after the dose" or "so
    this is longer than usual": true of a symptom the patient said is still there, not of one they just
    ticked, which may have begun this morning. Its level stands (either way the clinic should hear of
    it); the words say when it was reported instead. Rewritten here, not in the core, whose triage module
    is at its size limit: the sentences are the core's own, so a changed core sentence is left as it is
    (a test reads the page's words).
    """
    minutes = result.minutes_since_dose
    if minutes is None or not symptom_ids:
        return result
    when = describe_minutes(minutes)
    details: list[ReportTriage] = []
    reworded: dict[str, str] = {}
    for detail in result.details:
        if (
            detail.kind == "side_effect"
            and detail.report.symptom_id in symptom_ids
            and detail.report.onset_min is None
            and detail.matched_text is None
        ):
            message = _reported_words(detail, when)
            if message != detail.patient_message:
                reworded[detail.patient_message] = message
                detail = dataclasses.replace(detail, patient_message=message)
        details.append(detail)
    if not reworded:
        return result
    return dataclasses.replace(
        result,
        details=tuple(details),
        patient_message=reworded.get(result.patient_message, result.patient_message),
    )


def _reported_words(detail: ReportTriage, when: str) -> str:
    """One side effect's message with the core's "still there since the dose" sentence said as when it
    was reported."""
    name, message = detail.name, detail.patient_message
    reported = f"{name} was reported {when} after your dose, and you did not say when it began"
    still = f"{name} is still there {when} after the dose"
    usual = (
        f"{name} usually passes by about {describe_minutes(detail.expected_window.resolution_min)} after the dose"
        if detail.expected_window is not None
        else None
    )
    sentences = {
        f"{still}, which is longer than any expected effect.": (
            f"{reported}: that is later than any expected effect of the treatment."
        ),
        f"{still}; it should have worn off by the next day.": (
            f"{reported}: effects like this wear off by the next day."
        ),
    }
    if usual is not None:
        sentences[f"{usual}, so this is longer than usual."] = (
            f"{usual}. You reported it {when} after your dose and did not say when it began."
        )
    for core, said in sentences.items():
        if message.startswith(core):
            return said + message.removeprefix(core)
    return message
