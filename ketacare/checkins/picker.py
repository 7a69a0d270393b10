"""The check-in form's symptom lists and what a ticked row sends: the common effects for the route and
the time since the session, the other effects, the red flags, each row's strength and "when it began"
(no strength is preset: the patient chooses), and the refusal of a side effect's row left unanswered."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ketacare.checkins.onset import onset_choices, parse_onset
from ketacare.checkins.services import ReportIn
from ketacare.checkins.services.submission import NOT_GIVEN
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.core.triage import SEVERITIES
from ketacare.lib.errors import FieldError
from ketacare.patients.facts import last_dose_start
from ketacare.patients.models import Patient

COMMON_MAX = 5  # how many common effects show before "Other effects" (a phone screen, not a clinical number)


def needs_severity(entry: Any, kind: str) -> bool:
    """Whether the row asks "how strong": a side effect, or a red flag whose level a severe rating raises
    (core triage rule 7). An emergency is an emergency whatever its strength: not asked."""
    return kind == "side_effect" or getattr(entry, "level", None) != Level.EMERGENCY


@dataclass(frozen=True, slots=True)
class Picked:
    """What the form ticked, as sent: strength and "when it began" by symptom id ("" when not chosen),
    and the refusal of a row's answer, by symptom id."""

    severities: dict[str, str] = field(default_factory=dict)
    onsets: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _row(entry: Any, kind: str, picked: Picked) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "kind": kind,
        "synonyms": ", ".join(entry.synonyms[:4]),
        "checked": entry.id in picked.severities,
        # No strength is chosen for the patient: a row left at "How strong?" is asked again.
        "severity": picked.severities.get(entry.id, ""),
        "onset": picked.onsets.get(entry.id, ""),
        "error": picked.errors.get(entry.id, ""),
        "needs_severity": needs_severity(entry, kind),
    }


def _red_flags(*, before_any_dose: bool) -> dict[str, kb.RedFlag]:
    """Every red flag in the words the patient reads: before any dose, a flag whose words assume a dose
    ("... that have not worn off") reads its words for no dose; the same flag, level and guidance."""
    return {i: flag.worded(before_any_dose=before_any_dose) for i, flag in kb.knowledge().red_flags.items()}


def _always_shown(flag: Any) -> bool:
    return flag.level == "emergency" or flag.id.startswith("suicidal_thoughts")


def picker(query: str, picked: Picked, dose: Dose) -> dict[str, Any]:
    """The check-in's symptom lists: the common effects for the route and the time since the session,
    the other effects (or the matches for a search), and every red flag in its own always-visible list."""
    chosen = picked.severities
    route, minutes = dose.route, dose.minutes
    known = kb.knowledge()
    effects = known.side_effects
    flags = _red_flags(before_any_dose=minutes is None)
    found_flags: list[str] = []
    if query.strip():
        matches = kb.search_symptoms(query)
        ids = [m.id for m in matches if m.id in effects]
        found_flags = [m.id for m in matches if m.id in flags]
        common_ids = list(dict.fromkeys([*[c for c in chosen if c in effects], *ids]))
        other_ids: list[str] = []
    else:
        now_ids = []
        if route in kb.ROUTES and minutes is not None:
            now_ids = [e.id for e in effects.values() if e.course(route).window.contains(minutes)]
        common_ids = list(dict.fromkeys([*[c for c in chosen if c in effects], *now_ids, *effects]))[
            : max(COMMON_MAX, len([c for c in chosen if c in effects]))
        ]
        other_ids = [i for i in effects if i not in common_ids]
    return {
        "symptoms": [_row(effects[i], "side_effect", picked) for i in common_ids],
        "other_symptoms": [_row(effects[i], "side_effect", picked) for i in other_ids],
        # Emergencies and any thought of suicide stay in sight; the changes to tell the clinic about
        # sit one tap away under a summary that counts them, so the common check-in fits a phone.
        "serious": [_row(flag, "red_flag", picked) for flag in flags.values() if _always_shown(flag)],
        "serious_more": [
            _row(flag, "red_flag", picked) for flag in flags.values() if not _always_shown(flag)
        ],
        # A search that finds a red flag points to its row in "Something serious?" (one checkbox per
        # symptom on the page), and opens the list of other serious changes when the row is in it.
        "found_serious": [flags[i] for i in found_flags],
        "open_serious_more": any(not _always_shown(flags[i]) for i in found_flags),
        "query": query,
        "severities": SEVERITIES,
        "onset_choices": dose.onset_choices,
    }


@dataclass(frozen=True, slots=True)
class Dose:
    """The last dose as the form counts from it: its route, the minutes since it started and the "when it
    began" choices those allow (no dose: no route, no minutes)."""

    route: str
    minutes: float | None
    onset_choices: tuple[tuple[str, str], ...]


def dose_now(patient: Patient) -> Dose:
    now = timezone.now()
    dose = last_dose_start(patient, now=now)
    choices = onset_choices(dose.started_at if dose else None, time_zone=patient.time_zone, now=now)
    if dose is None:
        return Dose("", None, choices)
    return Dose(dose.route, max((now - dose.started_at).total_seconds() / 60, 0.0), choices)


def _entry(symptom_id: str, *, before_any_dose: bool) -> tuple[Any, str] | None:
    flags = _red_flags(before_any_dose=before_any_dose)
    if symptom_id in flags:
        return flags[symptom_id], "red_flag"
    if symptom_id in kb.knowledge().side_effects:
        return kb.knowledge().side_effects[symptom_id], "side_effect"
    return None  # the service refuses it, naming the field


def checked(
    picked: Picked, *, days_only: bool = False, red_flag_besides: bool = False
) -> tuple[list[ReportIn], Picked]:
    """The ticked rows as reports for the service, or the rows refused: a side effect's strength left
    unchosen (the form presets none) or a "when it began" that is not one offered (``days_only``: no
    dose on record, so no time after one). Nothing is sent while any is.

    A red flag is never refused for its strength: one not chosen is sent as not given, and the triage
    keeps the flag's own level. Nor is a side effect sent with a red flag, ticked or not
    (``red_flag_besides``: in the patient's own words, or an open one still there): asking again would
    hold back the guidance and the clinic's alert for a detail, and a patient who gives up at the
    question would never be escalated."""
    reports: list[ReportIn] = []
    errors: dict[str, str] = {}
    entries = {i: _entry(i, before_any_dose=days_only) for i in picked.severities}
    urgent = red_flag_besides or any(e is not None and e[1] == "red_flag" for e in entries.values())
    for symptom_id, severity in picked.severities.items():
        found = entries[symptom_id]
        name = found[0].name if found else symptom_id
        if found is not None and found[1] == "side_effect" and not severity and not urgent:
            errors[symptom_id] = f"How strong ({name}): choose mild, moderate or severe"
            continue
        try:
            onset_min, onset_day = parse_onset(
                picked.onsets.get(symptom_id, ""), symptom_id=symptom_id, name=name, days_only=days_only
            )
        except FieldError as error:
            errors[symptom_id] = error.message
            continue
        reports.append(ReportIn(symptom_id, severity or NOT_GIVEN, onset_min=onset_min, onset_day=onset_day))
    return reports, dataclasses.replace(picked, errors=errors)
