"""Triage of patient-reported symptoms after a ketamine or esketamine dose.

:func:`triage` answers the patient's question "is what I feel now normal?" with one of five levels,
lowest to highest: expected < longer_than_expected < contact_clinic < urgent < emergency
(:class:`ketacare.core.knowledge.Level`). Times are minutes after the start of dosing (the start of
an IV infusion, the first nasal device, the oral or sublingual dose, the IM injection).

Rules, applied to each report in this order (the data and its sources are in
``knowledge/data/side_effects.toml``, ``red_flags.toml`` and ``safety_net.toml``; decision 0012 lists
them). Each rule can only raise a level, never lower it.

1. A red flag starts at its own level (contact_clinic, urgent or emergency), whatever the time since
   the dose: nothing below lowers it.
2. An expected side effect starts at "expected". Between the end of its window (``resolution_min``)
   and its route's ``longer_than_expected_after_min`` it is still expected, and the message says how
   long it can last.
3. **Onset.** A side effect that *started* (``onset_min``) after its window had ended is judged as a new
   symptom, not as an effect of the dose: contact the clinic (``[late_onset]``, clinic practice).
4. Reported after its threshold it becomes "longer_than_expected"; an effect with a
   ``past_window_red_flag`` becomes that red flag (hallucinations past their window become
   ``hallucinations_agitation_past_window``; a raised blood pressure, ``persistent_high_blood_pressure``).
5. **Persisting psychoactive effects** (dissociation, perceptual changes, drowsiness, euphoria) past
   their threshold go to "contact_clinic" from 24 h after the dose at the latest, and to "urgent" when
   confusion or being unable to look after oneself is reported with them (``[psychoactive]``).
6. An expected effect still present after ``[persistence] contact_clinic_after_min`` (72 h, clinic
   practice) goes to "contact_clinic": that is further than anything the sources describe.
7. Severity "severe" raises the level by one step (clinic practice): expected jumps straight to
   contact_clinic, because "longer than expected" describes duration, not intensity; emergency stays
   emergency. "mild" and "moderate" change nothing.
8. **Severity at the blood-pressure peak.** A severe headache or severe raised blood pressure inside
   the route's blood-pressure window (``[bp_peak]``: esketamine 0-240 min) is urgent, and an emergency
   when a crisis sign (chest pain, breathlessness, vision change or weakness, seizure, confusion,
   fainting) is reported with it.

Outside the reports, :func:`triage` also judges a home blood-pressure reading entered as numbers
(:mod:`ketacare.core.home_bp`) and the patient's own words for "something else"
(:mod:`ketacare.core.free_text`): red flags found in the words follow their red flag's path, anything
else asks for a review by the clinic.

**Before any dose** (no dose on record: ``minutes_since_dose`` is None) a side effect has no window to be
judged against and is not an effect of treatment: it goes to "contact_clinic" (clinic practice), or to
the level of the red flag it becomes past its window, or to the psychoactive rule's combined level when
confusion or being unable to look after oneself is reported with it; rule 7 (severity) then applies.
These are the levels the rules above give an effect still present after the persistence limit, so a
report before any dose is never judged as less than one long past a dose. The words never speak of a
dose, a session or a time after one. Red flags keep rule 1, in their no-dose words (``RedFlag.worded``).

The result's level is the highest of all reports. The software never gives dosing advice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from ketacare.core.free_text import FreeTextScreen, screen_free_text
from ketacare.core.home_bp import BpHoldLimits, HomeBloodPressure, HomeBpAssessment, assess_home_bp
from ketacare.core.knowledge import (
    CLINIC_PRACTICE,
    ROUTES,
    Level,
    RedFlag,
    SideEffect,
    Window,
    knowledge,
)
from ketacare.core.safety_net import safety_net

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
    minutes after the start of dosing (0 to ``minutes_since_dose``; none before any dose). A side effect
    that began after its window had ended is judged as a new symptom.
    """

    symptom_id: str
    severity: Severity = "mild"
    onset_min: float | None = None


@dataclass(frozen=True, slots=True)
class ReportTriage:
    """The triage of one report: the entry it matched, its level, why, and what to tell the patient.

    ``expected_window`` and ``longer_than_expected_after_min`` (minutes after the start of dosing) are
    set for side effects on the given route, None for red flags and for any report before any dose. ``red_flag_id`` is the red flag the
    report counts as, directly or because a side effect ran past its window. ``rules`` explains the
    level for the clinician; ``sources`` are the source ids behind it. ``matched_text`` is set when the
    red flag was found in the patient's own words (the words that matched), else None.
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
    matched_text: str | None = None


@dataclass(frozen=True, slots=True)
class TriageResult:
    """The overall level (the highest of the reports), the per-report details and the message to show.

    ``minutes_since_dose`` is None when no dose is on record (``route`` then only selected the home
    reading's hold thresholds).
    ``home_bp`` is the judgement of a home blood-pressure reading given with the reports, and
    ``free_text`` the screen of the patient's own words (``review_required`` when nothing matched).
    ``hold_next_dose`` is True when a red flag among the reports means the next dose waits for a
    prescriber's review (``[hold_next_dose]`` in safety_net.toml: urinary symptoms); the app must not
    plan the next dose as usual until a prescriber has reviewed. It is never dosing advice to the patient.
    """

    level: Level
    details: tuple[ReportTriage, ...]
    patient_message: str
    route: str
    minutes_since_dose: float | None
    hold_next_dose: bool = False
    home_bp: HomeBpAssessment | None = None
    free_text: FreeTextScreen | None = None

    @property
    def review_required(self) -> bool:
        """True when the patient's own words need a person at the clinic (the app raises a review alert)."""
        return self.free_text is not None and self.free_text.review_required

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


def _severity_rule(report: SymptomReport, level: Level, rules: list[str], sources: list[str]) -> Level:
    """Rule 7: "severe" raises ``level`` a step (clinic practice), said in ``rules``, cited in ``sources``."""
    if report.severity != "severe" or level is Level.EMERGENCY:
        return level
    # "Longer than expected" is about duration; a severe effect inside its window goes to the clinic.
    raised = max(level.raised(), Level.CONTACT_CLINIC)
    rules.append(f"severity severe: raised to {raised.value} (clinic practice)")
    sources.append(CLINIC_PRACTICE)
    return raised


def _names(flag_ids: frozenset[str]) -> str:
    """The red flags' names in file order, in plain words, lower-case: "chest pain and seizure (fit)"."""
    names = [flag.name.lower() for flag in knowledge().red_flags.values() if flag.id in flag_ids]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _triage_red_flag(report: SymptomReport, flag: RedFlag, matched_text: str | None = None) -> ReportTriage:
    level = flag.level
    rules = [f"red flag {flag.id!r}: level {flag.level.value} whatever the time since the dose"]
    if matched_text is not None:
        rules.append(f"found in the patient's own words: {matched_text!r}")
    sources = list(flag.sources)
    message = flag.patient_message
    raised = _severity_rule(report, level, rules, sources)
    if raised > level:
        level = raised
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
        matched_text=matched_text,
    )


def _triage_side_effect(
    report: SymptomReport,
    effect: SideEffect,
    route: str,
    minutes: float,
    reported_red_flags: frozenset[str],
) -> ReportTriage:
    kb = knowledge()
    net = safety_net()
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
    message: str | None = None  # a complete message that replaces "lead + level message"
    red_flag: RedFlag | None = None

    # Rule 2: past the usual end of the window but not past the threshold - still expected, but the
    # message must not claim it "usually passes by" a time that has already gone.
    if window.resolution_min < minutes <= threshold:
        message = (
            f"{effect.name} often passes by about {describe_minutes(window.resolution_min)} after the dose, "
            f"but it can last up to about {describe_minutes(threshold)}. It should pass: rest and follow the "
            "self-care tips. Contact your clinic if it gets worse or new symptoms appear."
        )

    # Rule 3: onset after the window had ended - a new symptom, not the dose's expected course.
    late = net.late_onset
    onset = report.onset_min
    started_late = onset is not None and onset > window.resolution_min
    if started_late:
        assert onset is not None  # noqa: S101 - started_late implies an onset
        level = max(level, late.level)
        rules.append(
            f"started at {onset:g} min, after its window ended at {window.resolution_min:g} min: "
            f"judged as a new symptom, {late.level.value} (clinic practice)"
        )
        sources += late.cited.sources
        message_lead = (
            f"{effect.name} started {describe_minutes(onset)} after your dose, later than the effects of "
            "treatment usually begin, so it may have another cause."
        )
        message = None

    # Rule 4: still present after the threshold.
    past_threshold = minutes > threshold
    if past_threshold:
        level = max(level, Level.LONGER_THAN_EXPECTED)
        rules.append(f"reported at {minutes:g} min, after {threshold:g} min: longer than expected")
        sources += course.threshold_sources
        if not started_late:
            message_lead = f"{usual}, so this is longer than usual."
            message = None
        if effect.past_window_red_flag is not None:
            red_flag = kb.red_flags[effect.past_window_red_flag]
            level = max(level, red_flag.level)
            rules.append(f"past its window it counts as red flag {red_flag.id!r}: {red_flag.level.value}")
            sources += red_flag.sources

    # Rule 5: one rule for every psychoactive effect that has not worn off.
    psychoactive = net.psychoactive
    if effect.id in psychoactive.side_effects and past_threshold:
        if minutes >= psychoactive.contact_clinic_after_min and level < Level.CONTACT_CLINIC:
            level = Level.CONTACT_CLINIC
            rules.append(
                f"psychoactive effect still present at {minutes:g} min, at or after "
                f"{psychoactive.contact_clinic_after_min:g} min: contact the clinic"
            )
            sources += psychoactive.cited.sources
            message_lead = (
                f"{effect.name} is still there {describe_minutes(minutes)} after the dose; it should have worn "
                "off by the next day."
            )
            message = None
        combined = psychoactive.combined_red_flags & reported_red_flags
        if combined and level < psychoactive.combined_level:
            level = psychoactive.combined_level
            rules.append(
                f"psychoactive effect past its window together with {', '.join(sorted(combined))}: "
                f"{level.value}"
            )
            sources += psychoactive.cited.sources
            message_lead = f"{effect.name} has not worn off, and you also report {_names(combined)}."
            message = None

    # Rule 6: past anything the sources describe.
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
        message = None

    # Rule 7: severity.
    raised = _severity_rule(report, level, rules, sources)
    if raised > level:
        level, message = raised, None
        if level is Level.CONTACT_CLINIC and message_lead == f"{usual}.":
            message_lead = f"{effect.name} is an expected effect, but you rate it as severe."

    # Rule 8: severe at the blood-pressure peak.
    bp_peak = net.bp_peak
    if effect.id in bp_peak.side_effects and report.severity == bp_peak.severity:
        bp_course = kb.side_effects[bp_peak.window_from].course(route)
        start, end = bp_course.window.onset_min, bp_course.longer_than_expected_after_min
        if start <= minutes <= end:
            crisis = bp_peak.crisis_red_flags & reported_red_flags
            target = bp_peak.crisis_level if crisis else bp_peak.level
            if level < target:
                level = target
                rules.append(
                    f"{report.severity} {effect.id} at {minutes:g} min, inside the blood-pressure window "
                    f"{start:g}-{end:g} min after {route}"
                    + (f" with {', '.join(sorted(crisis))}" if crisis else "")
                    + f": {level.value}"
                )
                sources += [*bp_peak.cited.sources, *bp_course.sources]
                lowered = effect.name[0].lower() + effect.name[1:]
                if crisis:
                    message = (
                        f"A severe {lowered} together with {_names(crisis)} in the hours after treatment can "
                        f"mean a dangerous rise in blood pressure. {LEVEL_MESSAGES[level]}"
                    )
                else:
                    message = (
                        f"A severe {lowered} in the hours after treatment, while blood pressure is at its "
                        f"highest, can mean your blood pressure is too high. {LEVEL_MESSAGES[level]} If you "
                        "also have chest pain, trouble breathing, a change in your vision, weakness on one side "
                        "or confusion, call your local emergency number now."
                    )

    if message is not None:
        final_message = message
    elif red_flag is not None:
        final_message = red_flag.patient_message
        if level > red_flag.level:
            final_message = f"{final_message} As you rate it as severe: {LEVEL_MESSAGES[level]}"
    else:
        final_message = f"{message_lead} {LEVEL_MESSAGES[level]}"

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
        patient_message=final_message,
        self_care=effect.self_care,
        sources=tuple(dict.fromkeys(sources)),
    )


def _triage_side_effect_before_any_dose(
    report: SymptomReport, effect: SideEffect, reported_red_flags: frozenset[str]
) -> ReportTriage:
    """A side effect reported with no dose on record: not an effect of treatment (module docstring)."""
    psychoactive = safety_net().psychoactive
    level = Level.CONTACT_CLINIC
    rules = [
        f"side effect {effect.id!r} with no dose on record: no window to judge it against, not an effect "
        "of treatment; contact the clinic (clinic practice)"
    ]
    sources = [*effect.sources, CLINIC_PRACTICE]
    also = ""
    if effect.past_window_red_flag is not None:
        # With no window it can be inside, it counts as it would once its window has passed.
        flag = knowledge().red_flags[effect.past_window_red_flag]
        if flag.level > level:
            level = flag.level
            rules.append(f"past its window it counts as red flag {flag.id!r}: {flag.level.value}")
            sources += flag.sources
    combined = psychoactive.combined_red_flags & reported_red_flags
    if effect.id in psychoactive.side_effects and combined and level < psychoactive.combined_level:
        level = psychoactive.combined_level
        rules.append(f"psychoactive effect together with {', '.join(sorted(combined))}: {level.value}")
        sources += psychoactive.cited.sources
        also = f" You also report {_names(combined)}."
    advice = LEVEL_MESSAGES[level]
    raised = _severity_rule(report, level, rules, sources)
    if raised > level:
        level = raised
        advice = f"As you rate it as severe: {LEVEL_MESSAGES[level]}"
    return ReportTriage(
        report=report,
        kind="side_effect",
        entry_id=effect.id,
        name=effect.name,
        level=level,
        rules=tuple(rules),
        expected_window=None,
        longer_than_expected_after_min=None,
        red_flag_id=None,
        patient_message=(
            f"{effect.name}: you have not had a treatment session with us yet, so this is not an effect of "
            f"treatment.{also} {advice}"
        ),
        # The tips are written for an after-effect of treatment ("it is the medicine and it passes").
        self_care=(),
        sources=tuple(dict.fromkeys(sources)),
    )


def triage(
    reports: Sequence[SymptomReport],
    *,
    route: str,
    minutes_since_dose: float | None,
    home_bp: HomeBloodPressure | None = None,
    other_text: str | None = None,
    age_years: int | None = None,
    bp_hold_limits: BpHoldLimits | None = None,
) -> TriageResult:
    """Triage symptom reports made ``minutes_since_dose`` minutes after the start of dosing by ``route``.

    ``route`` is one of iv, esketamine_in, oral, sublingual, im. ``minutes_since_dose`` None means no dose
    is on record: side effects are judged as before any dose (module docstring), no report may give an
    onset, and ``route`` only selects the home reading's hold thresholds. Optional, all plain values:

    - ``home_bp``: a home reading (systolic, diastolic, pulse) judged by
      :func:`ketacare.core.home_bp.assess_home_bp` with the reported symptoms as crisis signs;
      ``age_years`` picks the age band of the route's hold thresholds and ``bp_hold_limits`` replaces
      them with the clinic's own;
    - ``other_text``: the patient's own words for "something else", screened by
      :func:`ketacare.core.free_text.screen_free_text`; red flags found there are triaged like reported
      ones (``ReportTriage.matched_text`` holds the words), anything else sets ``review_required``.

    The overall level is the highest of the reports, the reading and the words; the message comes from
    the first part at that level (reports first). Raises TriageError (a ValueError) naming the offending
    value and the allowed values for an unknown route, symptom id or severity, a negative or
    non-finite time, an onset outside 0..minutes_since_dose, or a bad reading or text. With nothing
    reported the level is "expected".
    """
    kb = knowledge()
    if route not in ROUTES:
        raise TriageError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")
    minutes = None if minutes_since_dose is None else _check_minutes("minutes_since_dose", minutes_since_dose)
    if isinstance(reports, str) or not isinstance(reports, Sequence):
        raise TriageError(f"reports must be a sequence of SymptomReport, got {type(reports).__name__}")
    for report in reports:
        _check_report(report, minutes)

    words_screen: FreeTextScreen | None = None
    if other_text is not None:
        try:
            words_screen = screen_free_text(other_text)
        except ValueError as exc:
            raise TriageError(str(exc)) from None
    # Red flags found in the patient's words that were not also reported by id.
    reported_ids = {report.symptom_id for report in reports}
    from_words = [
        flag_id
        for flag_id in (words_screen.red_flag_ids if words_screen else ())
        if flag_id not in reported_ids
    ]
    # Red flags reported at the same time: the combination rules (crisis signs at the blood-pressure
    # peak, confusion with a psychoactive effect) read them.
    reported_red_flags = frozenset(
        [*(r.symptom_id for r in reports if r.symptom_id in kb.red_flags), *from_words]
    )
    flags = {flag_id: flag.worded(before_any_dose=minutes is None) for flag_id, flag in kb.red_flags.items()}
    details: list[ReportTriage] = []
    for report in reports:
        if report.symptom_id in flags:
            details.append(_triage_red_flag(report, flags[report.symptom_id]))
        elif minutes is None:
            effect = kb.side_effects[report.symptom_id]
            details.append(_triage_side_effect_before_any_dose(report, effect, reported_red_flags))
        else:
            effect = kb.side_effects[report.symptom_id]
            details.append(_triage_side_effect(report, effect, route, minutes, reported_red_flags))
    for flag_id in from_words:
        assert words_screen is not None  # noqa: S101 - from_words comes from the screen
        phrases = [m.phrase for m in words_screen.matches if m.red_flag_id == flag_id and not m.negated]
        details.append(
            _triage_red_flag(SymptomReport(flag_id), flags[flag_id], matched_text=", ".join(phrases))
        )

    reading: HomeBpAssessment | None = None
    if home_bp is not None:
        pairs = [(r.symptom_id, str(r.severity)) for r in reports] + [(f, "mild") for f in from_words]
        try:
            reading = assess_home_bp(
                home_bp, route=route, age_years=age_years, symptoms=pairs, hold_limits=bp_hold_limits
            )
        except ValueError as exc:
            raise TriageError(str(exc)) from None
    elif bp_hold_limits is not None:
        raise TriageError("bp_hold_limits given without a home_bp reading")
    return _result(details, route=route, minutes=minutes, home_bp=reading, free_text=words_screen)


def _check_report(report: object, minutes: float | None) -> None:
    kb = knowledge()
    if not isinstance(report, SymptomReport):
        raise TriageError(f"each report must be a SymptomReport, got {report!r}")
    if report.severity not in SEVERITIES:
        raise TriageError(
            f"unknown severity {report.severity!r} for {report.symptom_id!r}; allowed: {', '.join(SEVERITIES)}"
        )
    if report.onset_min is not None:
        onset = _check_minutes(f"onset_min of {report.symptom_id!r}", report.onset_min)
        if minutes is None:
            raise TriageError(
                f"onset_min {onset:g} of {report.symptom_id!r} counts from a dose, and none is on record "
                "(minutes_since_dose is None); leave it out"
            )
        if onset > minutes:
            raise TriageError(
                f"onset_min {onset:g} of {report.symptom_id!r} is after minutes_since_dose {minutes:g}; "
                f"allowed range 0 to {minutes:g}"
            )
    if report.symptom_id not in kb.red_flags and report.symptom_id not in kb.side_effects:
        raise TriageError(
            f"unknown symptom id {report.symptom_id!r}; allowed side effects: {', '.join(kb.side_effects)}; "
            f"allowed red flags: {', '.join(kb.red_flags)}"
        )


def _result(
    details: list[ReportTriage],
    *,
    route: str,
    minutes: float | None,
    home_bp: HomeBpAssessment | None = None,
    free_text: FreeTextScreen | None = None,
) -> TriageResult:
    hold_flags = safety_net().hold_next_dose.red_flags
    hold = any(detail.red_flag_id in hold_flags for detail in details)
    # Each part that may speak for the result, in order of precedence at equal level: the reports (the
    # most specific message), the home reading, then the review of the patient's own words.
    parts: list[tuple[Level, str]] = [(detail.level, detail.patient_message) for detail in details]
    if home_bp is not None:
        parts.append((home_bp.level, home_bp.patient_message))
    if free_text is not None and free_text.review_required:
        parts.append((free_text.level, free_text.patient_message))
    if not parts:
        return TriageResult(
            level=Level.EXPECTED,
            details=(),
            patient_message="No symptoms reported.",
            route=route,
            minutes_since_dose=minutes,
            free_text=free_text,
        )
    level = max(part_level for part_level, _ in parts)
    message = next(text for part_level, text in parts if part_level is level)
    return TriageResult(
        level=level,
        details=tuple(details),
        patient_message=message,
        route=route,
        minutes_since_dose=minutes,
        hold_next_dose=hold,
        home_bp=home_bp,
        free_text=free_text,
    )
