"""How a patient's symptom episode is worded in their downloads and FHIR files: one wording for all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.onset import after_treatment_words, day_words
from ketacare.core import display, knowledge

# A red flag's "how strong" cell: the check-in asks a warning sign no strength (the stored severity is
# the form's default), and "red flag" is the clinic's word, not the patient's.
WARNING_SIGN = "warning sign (strength not asked)"


def symptom_end(report: SymptomReport, when: Callable[[dt.datetime], str]) -> str:
    """What is known of the end (docs/decisions/0014): an open one was still there when last asked; a
    closed one went by the time it was first seen gone, or at about the time the patient said."""
    last_there = report.last_seen_at or report.started_at
    if report.resolved_at is None:
        return f"ongoing: still there when last asked, {when(last_there)}"
    if report.ended_at is not None:
        return f"gone at about {when(report.ended_at)}, as you said"
    gone_by, seen = when(report.resolved_at), when(last_there)
    # Two check-ins close together read the same: say it once.
    return f"gone by {gone_by}" + (f" (last there {seen})" if seen != gone_by else "")


def symptom_began(report: SymptomReport, zone: dt.tzinfo) -> str:
    """When it began, as the patient gave it (checkins/onset.py), in words a printout keeps: "on Monday
    7 December" for a day they named, "about 1 hour after your session on Friday 4 December" for a time
    after the treatment, in the words of the choice the check-in offered and its pages say back
    (``after_treatment_words``). The check-in's own time is when they told us, never its start; so with no onset
    given it says so ("not sure"; "not asked" for a warning sign, which the check-in asks no onset).

    Unlike the pages' ``began_words`` it names no "today": a download is read on later days.
    """
    if report.onset_day is not None:
        return f"on {day_words(report.onset_day)}"
    if report.onset_min is not None and report.dose_started_at is not None:
        session = f"your session on {day_words(report.dose_started_at.astimezone(zone).date())}"
        if report.onset_min < 1:
            return f"at {session}"
        return f"about {after_treatment_words(report.onset_min)} after {session}"
    return "not asked" if report.kind == SymptomReport.Kind.RED_FLAG else "not sure"


def clock_words(moment: dt.datetime) -> str:
    """'09:00 on Monday 7 December 2026': a moment as a person reads it, on the clock it is given on."""
    return f"{moment:%H:%M} on {moment:%A} {moment.day} {moment:%B} {moment.year}"


def symptom_severity(report: SymptomReport) -> str:
    """A side effect's severity as the patient rated it; a red flag is asked no severity, so it reads
    as what it is, in the patient's words."""
    if report.kind == SymptomReport.Kind.RED_FLAG:
        return WARNING_SIGN
    return display.name_for(report.severity)


def symptom_name(report: SymptomReport) -> str:
    """The name as reported, with its signs when the name only says "Signs of ..." (the knowledge
    base's own words), so a printout says what the patient told the clinic they had."""
    if report.kind == SymptomReport.Kind.RED_FLAG:
        try:
            flag = knowledge.get_red_flag(report.symptom_id)
        except LookupError:  # a red flag since removed from the knowledge base keeps its stored name
            return report.name
        if flag.signs and report.name == flag.name:
            return flag.described
    return report.name
