"""Triage of patient-reported symptoms after a ketamine or esketamine dose.

:func:`triage` answers the patient's question "is what I feel now normal?" with one of five levels,
lowest to highest: expected < longer_than_expected < contact_clinic < urgent < emergency
(:class:`ketacare.core.knowledge.Level`). Times are minutes after the start of dosing (the start of
an IV infusion, the first nasal device, the oral or sublingual dose, the IM injection).

Rules, applied to each report in this order (the data and its sources are in
``knowledge/data/side_effects.toml`` and ``red_flags.toml``):

1. A red flag starts at its own level (contact_clinic, urgent or emergency), whatever the time since
   the dose: nothing below lowers it.
2. An expected side effect starts at "expected". Reported after its route's
   ``longer_than_expected_after_min``, or having *started* after it, it becomes
   "longer_than_expected".
3. Past that threshold, an effect with a ``past_window_red_flag`` becomes that red flag: hallucinations
   past their window become ``hallucinations_agitation_past_window``, a raised blood pressure past its
   window becomes ``persistent_high_blood_pressure``.
4. An expected effect still present after ``[persistence] contact_clinic_after_min`` (72 h, clinic
   practice) goes to "contact_clinic": that is further than anything the sources describe.
5. Severity "severe" raises the level by one step (clinic practice): expected jumps straight to
   contact_clinic, because "longer than expected" describes duration, not intensity; emergency stays
   emergency. "mild" and "moderate" change nothing.

The result's level is the highest of all reports. The software never gives dosing advice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from ketacare.core.knowledge import (
    CLINIC_PRACTICE,
    ROUTES,
    Level,
    RedFlag,
    SideEffect,
    Window,
    knowledge,
)

Severity = Literal["mild", "moderate", "severe"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

# What the patient should do at each level, shown when no more specific message applies.
LEVEL_MESSAGES: dict[Level, str] = {
    Level.EXPECTED: "This is expected after treatment and should pass. Rest and follow the self-care tips.",
    Level.LONGER_THAN_EXPECTED: (
        "It is not an emergency: keep resting; your clinic will see this report. "
        "Contact your clinic if it gets worse or new symptoms appear."
    ),
    Level.CONTACT_CLINIC: "Please contact your clinic today.",
    Level.URGENT: "You need to be seen today: call your clinic now, or out-of-hours or urgent care if it is closed.",
    Level.EMERGENCY: "Call your local emergency number now.",
}


class TriageError(ValueError):
    """The triage input is invalid; the message names the offending value and what is allowed."""


@dataclass(frozen=True, slots=True)
class SymptomReport:
    """One symptom as the patient reports it.

    ``symptom_id`` names a side effect or a red flag; ``onset_min`` (optional) is when it began, in
    minutes after the start of dosing.
    """

    symptom_id: str
    severity: Severity = "mild"
    onset_min: float | None = None


@dataclass(frozen=True, slots=True)
class ReportTriage:
    """The triage of one report: the entry it matched, its level, why, and what to tell the patient.

    ``expected_window`` and ``longer_than_expected_after_min`` (minutes after the start of dosing) are
    set for side effects on the given route, None for red flags. ``red_flag_id`` is the red flag the
    report counts as, directly or because a side effect ran past its window. ``rules`` explains the
    level for the clinician; ``sources`` are the source ids behind it.
    """

    report: SymptomReport
    kind: Literal["side_effect", "red_flag"]
    entry_id: str
    name: str
    level: Level
    rules: tuple[str, ...]
    expected_window: Window | None
    longer_than_expected_after_min: float | None
    red_flag_id: str | None
    patient_message: str
    self_care: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TriageResult:
    """The overall level (the highest of the reports), the per-report details and the message to show."""

    level: Level
    details: tuple[ReportTriage, ...]
    patient_message: str
    route: str
    minutes_since_dose: float

    @property
    def red_flag_ids(self) -> tuple[str, ...]:
        """The red flags among the reports, each once, in report order (these raise clinic alerts)."""
        return tuple(dict.fromkeys(d.red_flag_id for d in self.details if d.red_flag_id is not None))


def describe_minutes(minutes: float) -> str:
    """A plain-language duration: "40 minutes", "2 hours", "2.5 hours", "3 days"."""
    if minutes < 90:
        count = round(minutes)
        return f"{count} minute{'s' if count != 1 else ''}"
    if minutes < 2 * 1440:
        hours = round(minutes / 30) / 2  # nearest half hour
        return f"{hours:g} hour{'s' if hours != 1 else ''}"
    days = round(minutes / 1440)
    return f"{days} days"


def _check_minutes(name: str, value: object) -> float:
    # bool is an int subclass; True minutes is a caller bug, not 1 minute.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise TriageError(f"{name} must be a finite number of minutes >= 0, got {value!r}")
    return float(value)


def _raise_for_severity(level: Level) -> Level:
    raised = level.raised()
    # "Longer than expected" is about duration; a severe effect inside its window goes to the clinic.
    return Level.CONTACT_CLINIC if raised is Level.LONGER_THAN_EXPECTED else raised


def _triage_red_flag(report: SymptomReport, flag: RedFlag) -> ReportTriage:
    level = flag.level
    rules = [f"red flag {flag.id!r}: level {flag.level.value} whatever the time since the dose"]
    sources = list(flag.sources)
    message = flag.patient_message
    if report.severity == "severe" and level is not Level.EMERGENCY:
        level = _raise_for_severity(level)
        rules.append(f"severity severe: raised to {level.value} (clinic practice)")
        sources.append(CLINIC_PRACTICE)
        message = f"{flag.patient_message} As you rate it as severe: {LEVEL_MESSAGES[level]}"
    return ReportTriage(
        report=report,
        kind="red_flag",
        entry_id=flag.id,
        name=flag.name,
        level=level,
        rules=tuple(rules),
        expected_window=None,
        longer_than_expected_after_min=None,
        red_flag_id=flag.id,
        patient_message=message,
        self_care=(),
        sources=tuple(dict.fromkeys(sources)),
    )


def _triage_side_effect(
    report: SymptomReport, effect: SideEffect, route: str, minutes: float
) -> ReportTriage:
    kb = knowledge()
    course = effect.course(route)
    window = course.window
    threshold = course.longer_than_expected_after_min
    sources = [*effect.sources, *course.sources]
    usual = f"{effect.name} usually passes by about {describe_minutes(window.resolution_min)} after the dose"
    level = Level.EXPECTED
    rules = [
        f"side effect {effect.id!r} after {route}: expected from {window.onset_min:g} to "
        f"{window.resolution_min:g} min, longer than expected after {threshold:g} min"
    ]
    message_lead = f"{usual}."
    red_flag: RedFlag | None = None

    started_late = report.onset_min is not None and report.onset_min > threshold
    if minutes > threshold or started_late:
        level = Level.LONGER_THAN_EXPECTED
        rules.append(
            f"started at {report.onset_min:g} min, after {threshold:g} min: longer than expected"
            if started_late
            else f"reported at {minutes:g} min, after {threshold:g} min: longer than expected"
        )
        sources += course.threshold_sources
        message_lead = f"{usual}, so this is longer than usual."
        if effect.past_window_red_flag is not None:
            red_flag = kb.red_flags[effect.past_window_red_flag]
            level = max(level, red_flag.level)
            rules.append(f"past its window it counts as red flag {red_flag.id!r}: {red_flag.level.value}")
            sources += red_flag.sources

    persistence = kb.persistence
    if minutes > persistence.contact_clinic_after_min and level < Level.CONTACT_CLINIC:
        level = Level.CONTACT_CLINIC
        rules.append(
            f"still present at {minutes:g} min, after {persistence.contact_clinic_after_min:g} min: "
            "contact the clinic"
        )
        sources += persistence.sources
        message_lead = (
            f"{effect.name} is still there {describe_minutes(minutes)} after the dose, "
            "which is longer than any expected effect."
        )

    if report.severity == "severe" and level is not Level.EMERGENCY:
        level = _raise_for_severity(level)
        rules.append(f"severity severe: raised to {level.value} (clinic practice)")
        sources.append(CLINIC_PRACTICE)
        if level is Level.CONTACT_CLINIC and message_lead == f"{usual}.":
            message_lead = f"{effect.name} is an expected effect, but you rate it as severe."

    if red_flag is not None:
        message = red_flag.patient_message
        if level > red_flag.level:
            message = f"{message} As you rate it as severe: {LEVEL_MESSAGES[level]}"
    else:
        message = f"{message_lead} {LEVEL_MESSAGES[level]}"

    return ReportTriage(
        report=report,
        kind="side_effect",
        entry_id=effect.id,
        name=effect.name,
        level=level,
        rules=tuple(rules),
        expected_window=window,
        longer_than_expected_after_min=threshold,
        red_flag_id=red_flag.id if red_flag is not None else None,
        patient_message=message,
        self_care=effect.self_care,
        sources=tuple(dict.fromkeys(sources)),
    )


def triage(reports: Sequence[SymptomReport], *, route: str, minutes_since_dose: float) -> TriageResult:
    """Triage symptom reports made ``minutes_since_dose`` minutes after the start of dosing by ``route``.

    ``route`` is one of iv, esketamine_in, oral, sublingual, im. Raises TriageError (a ValueError)
    naming the offending value and the allowed values for an unknown route, symptom id or severity, a
    negative or non-finite time, or an onset outside 0..minutes_since_dose. With no reports the level
    is "expected".
    """
    kb = knowledge()
    if route not in ROUTES:
        raise TriageError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")
    minutes = _check_minutes("minutes_since_dose", minutes_since_dose)
    if isinstance(reports, str) or not isinstance(reports, Sequence):
        raise TriageError(f"reports must be a sequence of SymptomReport, got {type(reports).__name__}")

    details: list[ReportTriage] = []
    for report in reports:
        if not isinstance(report, SymptomReport):
            raise TriageError(f"each report must be a SymptomReport, got {report!r}")
        if report.severity not in SEVERITIES:
            raise TriageError(
                f"unknown severity {report.severity!r} for {report.symptom_id!r}; allowed: {', '.join(SEVERITIES)}"
            )
        if report.onset_min is not None:
            onset = _check_minutes(f"onset_min of {report.symptom_id!r}", report.onset_min)
            if onset > minutes:
                raise TriageError(
                    f"onset_min {onset:g} of {report.symptom_id!r} is after minutes_since_dose {minutes:g}; "
                    f"allowed range 0 to {minutes:g}"
                )
        if report.symptom_id in kb.red_flags:
            details.append(_triage_red_flag(report, kb.red_flags[report.symptom_id]))
        elif report.symptom_id in kb.side_effects:
            details.append(_triage_side_effect(report, kb.side_effects[report.symptom_id], route, minutes))
        else:
            raise TriageError(
                f"unknown symptom id {report.symptom_id!r}; allowed side effects: {', '.join(kb.side_effects)}; "
                f"allowed red flags: {', '.join(kb.red_flags)}"
            )

    if not details:
        return TriageResult(
            level=Level.EXPECTED,
            details=(),
            patient_message="No symptoms reported.",
            route=route,
            minutes_since_dose=minutes,
        )
    level = max(detail.level for detail in details)
    # The first report at the top level speaks for the whole result: it is the most specific message.
    top = next(detail for detail in details if detail.level is level)
    return TriageResult(
        level=level,
        details=tuple(details),
        patient_message=top.patient_message,
        route=route,
        minutes_since_dose=minutes,
    )
