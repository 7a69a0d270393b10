"""A home blood-pressure reading entered as numbers, judged against sourced thresholds.

:func:`assess_home_bp` takes plain values (systolic, diastolic, optional pulse), the route, optionally
the patient's age, the symptoms reported with the reading and the clinic's own hold thresholds, and
returns a triage :class:`~ketacare.core.knowledge.Level` with the findings behind it. The thresholds
are in ``knowledge/data/safety_net.toml`` ``[home_bp.*]`` (decision 0012):

- **crisis**: systolic >= 180 or diastolic >= 120 mmHg [HTN-Crisis] [Yip2022]: an emergency with a
  crisis symptom (chest pain, breathlessness, a sudden severe headache or vision change, weakness,
  confusion, seizure, fainting) [JNJ-BP], urgent without one [JNJ-CV];
- **above the hold threshold**: above the pressure at which the clinic would hold a dose (the route's
  pre-dose hold rules, 140/90 mmHg, 150 systolic over 65 for esketamine [JNJ-BP] [JNJ-CV], or the
  clinic's own) -> contact the clinic today;
- **low** systolic below 90 mmHg, **pulse** above 120 or below 50 a minute -> contact the clinic
  (clinic practice, the in-session warnings).

A reading outside the physiological ranges (systolic 50-300, diastolic 20-200, pulse 20-250) is a
typing error: :class:`HomeBpError` (a ValueError) names the field and the allowed range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Level, knowledge
from ketacare.core.protocols import AGE_YEARS_RANGE, PHYSIOLOGICAL_RANGES, get_route, route_ids
from ketacare.core.safety_net import RuleSource, safety_net

PULSE_RANGE_BPM = PHYSIOLOGICAL_RANGES["heart_rate_bpm"]


class HomeBpError(ValueError):
    """The reading or its context is invalid; the message names the field and the allowed range."""


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HomeBpError(f"{name} must be a number in range {low:g}-{high:g}, got {value!r}")
    if not low <= value <= high:
        raise HomeBpError(f"{name} {value:g} is out of range {low:g}-{high:g}")
    return float(value)


@dataclass(frozen=True, slots=True)
class HomeBloodPressure:
    """One home reading: systolic and diastolic in mmHg, pulse in beats a minute (optional).

    Validated on creation: systolic 50-300, diastolic 20-200 and below the systolic, pulse 20-250.
    """

    systolic_mmhg: float
    diastolic_mmhg: float
    pulse_bpm: float | None = None

    def __post_init__(self) -> None:
        _number("systolic_mmhg", self.systolic_mmhg, *PHYSIOLOGICAL_RANGES["systolic_mmhg"])
        _number("diastolic_mmhg", self.diastolic_mmhg, *PHYSIOLOGICAL_RANGES["diastolic_mmhg"])
        if self.pulse_bpm is not None:
            _number("pulse_bpm", self.pulse_bpm, *PULSE_RANGE_BPM)
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise HomeBpError(
                f"diastolic_mmhg {self.diastolic_mmhg:g} must be below systolic_mmhg {self.systolic_mmhg:g}"
            )


# What a clinic may set as its own home-BP limits (input bounds, not clinical advice).
HOLD_SYSTOLIC_RANGE_MMHG = (100, 220)
HOLD_DIASTOLIC_RANGE_MMHG = (60, 130)


@dataclass(frozen=True, slots=True)
class BpHoldLimits:
    """The clinic's own hold thresholds: a reading strictly above either goes to the clinic."""

    systolic_mmhg: float
    diastolic_mmhg: float

    def __post_init__(self) -> None:
        _number("hold systolic_mmhg", self.systolic_mmhg, *HOLD_SYSTOLIC_RANGE_MMHG)
        _number("hold diastolic_mmhg", self.diastolic_mmhg, *HOLD_DIASTOLIC_RANGE_MMHG)


FindingCode = Literal[
    "crisis_with_symptoms",
    "crisis",
    "above_hold_systolic",
    "above_hold_diastolic",
    "low_systolic",
    "pulse_high",
    "pulse_low",
]


@dataclass(frozen=True, slots=True)
class HomeBpFinding:
    """One threshold the reading crossed: a stable ``code``, its level, a message for the clinician."""

    code: FindingCode
    level: Level
    message: str
    sources: tuple[str, ...]
    evidence: str


@dataclass(frozen=True, slots=True)
class HomeBpAssessment:
    """The judgement of one reading: the highest level of its findings ("expected" when none).

    ``hold_limits`` are the thresholds used and ``hold_limits_from`` where they came from ("clinic" or
    the route's pre-dose rules). ``patient_message`` is calm, plain and never dosing advice.
    """

    reading: HomeBloodPressure
    level: Level
    findings: tuple[HomeBpFinding, ...]
    patient_message: str
    hold_limits: BpHoldLimits
    hold_limits_from: Literal["clinic", "route"]

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source behind the findings, each once."""
        return tuple(dict.fromkeys(s for finding in self.findings for s in finding.sources))


def route_hold_limits(route: str, age_years: int | None = None) -> BpHoldLimits:
    """The route's pre-dose hold thresholds for ``age_years`` (the lowest when the age is unknown)."""
    rules = get_route(route).pre_dose_rules
    limits = {}
    for field in ("systolic_mmhg", "diastolic_mmhg"):
        values = [
            rule.value
            for rule in rules
            if rule.field == field
            and rule.level == "hold"
            and rule.comparison == "above"
            and (age_years is None or rule.applies_to_age(age_years))
        ]
        if not values:
            raise HomeBpError(f"route {route!r} has no pre-dose hold rule for {field}")
        limits[field] = min(values)
    return BpHoldLimits(limits["systolic_mmhg"], limits["diastolic_mmhg"])


def _finding(code: FindingCode, level: Level, message: str, cited: RuleSource) -> HomeBpFinding:
    return HomeBpFinding(code, level, message, cited.sources, cited.evidence.value)


def crisis_symptoms(symptoms: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The symptom ids among ``symptoms`` ((symptom id, severity) pairs) that count as crisis signs."""
    crisis = safety_net().home_bp.crisis
    return tuple(
        dict.fromkeys(
            symptom_id
            for symptom_id, severity in symptoms
            if symptom_id in crisis.symptom_red_flags
            or (symptom_id in crisis.symptom_severe_side_effects and severity == "severe")
        )
    )


def assess_home_bp(
    reading: HomeBloodPressure,
    *,
    route: str,
    age_years: int | None = None,
    symptoms: Sequence[tuple[str, str]] = (),
    hold_limits: BpHoldLimits | None = None,
) -> HomeBpAssessment:
    """Judge a home reading (see the module docstring for the thresholds and their sources).

    ``route`` is the route of the last dose (iv, esketamine_in, oral, sublingual, im): it selects the
    hold thresholds unless ``hold_limits`` (the clinic's own) are given. ``age_years`` picks the age
    band of the route's rules (esketamine over 65: 150 systolic); without it the lowest threshold
    applies. ``symptoms`` are the (symptom id, severity) pairs reported with the reading; a crisis sign
    among them turns a crisis reading into an emergency. Raises HomeBpError naming the value and the
    allowed range or ids.
    """
    if not isinstance(reading, HomeBloodPressure):
        raise HomeBpError(f"reading must be a HomeBloodPressure, got {reading!r}")
    if route not in route_ids():
        raise HomeBpError(f"unknown route {route!r}; allowed: {', '.join(route_ids())}")
    if age_years is not None:
        low, high = AGE_YEARS_RANGE
        if isinstance(age_years, bool) or not isinstance(age_years, int) or not low <= age_years <= high:
            raise HomeBpError(
                f"age_years {age_years!r} is out of range; expected a whole number {low}-{high}"
            )
    kb = knowledge()
    known = set(kb.side_effects) | set(kb.red_flags)
    for pair in symptoms:
        if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] in known):
            raise HomeBpError(f"symptoms must be (symptom id, severity) pairs of known ids, got {pair!r}")
    origin: Literal["clinic", "route"]
    if hold_limits is None:
        limits, origin = route_hold_limits(route, age_years), "route"
    elif isinstance(hold_limits, BpHoldLimits):
        limits, origin = hold_limits, "clinic"
    else:
        raise HomeBpError(f"hold_limits must be a BpHoldLimits, got {hold_limits!r}")

    rules = safety_net().home_bp
    crisis = rules.crisis
    systolic, diastolic, pulse = reading.systolic_mmhg, reading.diastolic_mmhg, reading.pulse_bpm
    shown = f"{systolic:g}/{diastolic:g} mmHg"
    findings: list[HomeBpFinding] = []
    signs = crisis_symptoms(symptoms)
    if systolic >= crisis.systolic_at_least_mmhg or diastolic >= crisis.diastolic_at_least_mmhg:
        line = f"{crisis.systolic_at_least_mmhg:g}/{crisis.diastolic_at_least_mmhg:g}"
        if signs:
            findings.append(
                _finding(
                    "crisis_with_symptoms",
                    crisis.with_symptoms_level,
                    f"{shown} is at or above {line} with {', '.join(signs)}: possible hypertensive emergency",
                    crisis.cited,
                )
            )
        else:
            findings.append(
                _finding(
                    "crisis",
                    crisis.without_symptoms_level,
                    f"{shown} is at or above {line} without crisis symptoms: same-day assessment",
                    crisis.cited,
                )
            )
    if systolic > limits.systolic_mmhg:
        findings.append(
            _finding(
                "above_hold_systolic",
                rules.hold_level,
                f"systolic {systolic:g} mmHg is above the hold threshold {limits.systolic_mmhg:g} ({origin})",
                rules.hold_cited,
            )
        )
    if diastolic > limits.diastolic_mmhg:
        findings.append(
            _finding(
                "above_hold_diastolic",
                rules.hold_level,
                f"diastolic {diastolic:g} mmHg is above the hold threshold {limits.diastolic_mmhg:g} ({origin})",
                rules.hold_cited,
            )
        )
    if systolic < rules.low_systolic_below_mmhg:
        findings.append(
            _finding(
                "low_systolic",
                rules.low_level,
                f"systolic {systolic:g} mmHg is below {rules.low_systolic_below_mmhg:g}",
                rules.low_cited,
            )
        )
    if pulse is not None and pulse > rules.pulse_above_bpm:
        findings.append(
            _finding(
                "pulse_high",
                rules.pulse_level,
                f"pulse {pulse:g}/min is above {rules.pulse_above_bpm:g}",
                rules.pulse_cited,
            )
        )
    if pulse is not None and pulse < rules.pulse_below_bpm:
        findings.append(
            _finding(
                "pulse_low",
                rules.pulse_level,
                f"pulse {pulse:g}/min is below {rules.pulse_below_bpm:g}",
                rules.pulse_cited,
            )
        )
    level = max((finding.level for finding in findings), default=Level.EXPECTED)
    return HomeBpAssessment(
        reading=reading,
        level=level,
        findings=tuple(sorted(findings, key=lambda finding: finding.level, reverse=True)),
        patient_message=_message(level, shown, bool(signs), findings),
        hold_limits=limits,
        hold_limits_from=origin,
    )


def _message(level: Level, shown: str, signs: bool, findings: list[HomeBpFinding]) -> str:
    codes = {finding.code for finding in findings}
    if level is Level.EMERGENCY and signs:
        return (
            f"Your blood pressure of {shown} is very high and you have symptoms that can mean a dangerous "
            "rise in blood pressure. Call your local emergency number now."
        )
    if level is Level.EMERGENCY:
        return f"Your reading of {shown} needs help now. Call your local emergency number now."
    if level is Level.URGENT:
        return (
            f"Your blood pressure of {shown} is very high. You need to be seen today: call your clinic now, "
            "or out-of-hours or urgent care if it is closed. If you get chest pain, trouble breathing, a "
            "severe headache, a change in your vision, weakness or confusion, call your local emergency "
            "number now."
        )
    if level >= Level.CONTACT_CLINIC:
        if codes & {"above_hold_systolic", "above_hold_diastolic"}:
            what = f"Your blood pressure of {shown} is higher than your clinic would like."
        elif "low_systolic" in codes:
            what = f"Your blood pressure of {shown} is lower than expected."
        else:
            what = "Your pulse is outside the range your clinic expects."
        return (
            f"{what} Sit quietly for 5 minutes and measure again, and please contact your clinic today. If "
            "you feel faint, or get chest pain or trouble breathing, call your local emergency number now."
        )
    return f"Your reading of {shown} is within the range your clinic expects."
