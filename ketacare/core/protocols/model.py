"""The protocol catalogue as frozen dataclasses: routes with their session rules, protocols with schedules.

Every rule keeps its ``sources`` (ids from ``sources.toml``) and ``evidence`` in a :class:`Cited`; a
value the clinical sources leave unverified cites ``clinic-practice`` with evidence ``practice``. Units
are in the field names (``_mg``, ``_mg_per_kg``, ``_minutes``, ``_mmhg``, ``_bpm``, ``_pct``,
``_years``, ``_weeks``, ``_days``). :mod:`ketacare.core.protocols.loader` fills them from
protocols.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Evidence

# The evidence vocabulary of sources.toml.
EVIDENCE_TAGS = frozenset(tag.value for tag in Evidence)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct")
# Physiologically possible readings (inclusive). Input validation against typing errors, not clinical
# thresholds: a value outside is rejected, never flagged. Shared by monitoring and by the checks on
# the thresholds in the data file.
PHYSIOLOGICAL_RANGES: Mapping[str, tuple[float, float]] = {
    "systolic_mmhg": (50, 300),
    "diastolic_mmhg": (20, 200),
    "heart_rate_bpm": (20, 250),
    "spo2_pct": (50, 100),
}
COMPARISONS = ("above", "below", "rise_above_baseline", "fall_below_baseline")
PRE_DOSE_LEVELS = ("hold", "advisory")
IN_SESSION_LEVELS = ("warning", "critical")
PHASES = ("induction", "maintenance")
# Whole years; an age outside is a typing error (input validation, not a clinical limit).
AGE_YEARS_RANGE = (0, 130)
# Patient groups a first-dose rule may be restricted to (protocols.toml [[protocol.first_dose]] population).
POPULATIONS = ("japanese_ancestry",)
# Degrees of liver impairment a plan takes (Child-Pugh: mild A, moderate B, severe C).
HEPATIC_IMPAIRMENT = ("none", "mild", "moderate", "severe")
HEPATIC_ACTIONS = ("none", "longer_monitoring", "not_recommended")

Comparison = Literal["above", "below", "rise_above_baseline", "fall_below_baseline"]
DoseBasis = Literal["mg_per_kg", "fixed_mg"]


class ProtocolDataError(ValueError):
    """protocols.toml is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Cited:
    """Where a rule comes from: source ids (sources.toml) and the evidence tag."""

    sources: tuple[str, ...]
    evidence: str
    note: str = ""

    @property
    def is_clinic_practice(self) -> bool:
        """True when the rule is an unverified clinic-practice default, not a cited fact."""
        return self.evidence == "practice"


@dataclass(frozen=True)
class ObservationRule:
    """Minimum observation after a dose, in minutes from ``starts_at`` (the end of dosing)."""

    min_minutes: int
    default_minutes: int
    overridable: bool  # False: a clinic setting may lengthen it but never go below min_minutes
    starts_at: str
    cited: Cited


@dataclass(frozen=True)
class VitalRule:
    """One vital-sign threshold: ``field comparison value`` (strict), optionally for an age band."""

    code: str
    field: str
    comparison: Comparison
    value: float
    level: str
    message: str
    cited: Cited
    age_above_years: int | None = None
    age_at_most_years: int | None = None

    def applies_to_age(self, age_years: int) -> bool:
        """Whether the rule's age band (if any) contains ``age_years``."""
        if self.age_above_years is not None and not age_years > self.age_above_years:
            return False
        return not (self.age_at_most_years is not None and not age_years <= self.age_at_most_years)


@dataclass(frozen=True)
class CheckpointRule:
    """When vital signs are due around a dose (minutes)."""

    pre_dose: bool
    during_interval_minutes: int | None
    after_interval_minutes: int | None
    after_dose_minutes: tuple[int, ...]
    before_discharge: bool
    cited: Cited


@dataclass(frozen=True)
class FastingRule:
    """Fasting before a dose; ``None`` means no sourced rule (the clinic's own instruction applies)."""

    food_minutes_before: int | None
    liquids_minutes_before: int | None
    nasal_steroid_minutes_before: int | None
    cited: Cited


@dataclass(frozen=True)
class DrivingRule:
    """The driving and machinery rule after a dose."""

    rule: str
    cited: Cited


@dataclass(frozen=True)
class RemsRule:
    """Esketamine REMS patient monitoring form deadline."""

    form_due_days: int
    applies_to: str
    cited: Cited


@dataclass(frozen=True)
class RouteRules:
    """Everything around a dose given by one route (iv, esketamine_in, oral, sublingual)."""

    id: str
    name: str
    observation: ObservationRule
    pre_dose_rules: tuple[VitalRule, ...]
    vital_rules: tuple[VitalRule, ...]
    checkpoints: CheckpointRule
    fasting: FastingRule
    driving: DrivingRule
    rems: RemsRule | None


@dataclass(frozen=True)
class DoseSpec:
    """How a dose is expressed: per kg (``mg_per_kg``) or as a fixed amount (``fixed_mg``)."""

    basis: DoseBasis
    standard_mg_per_kg: float | None
    standard_mg: float | None
    infusion_minutes: int | None
    min_age_years: int | None
    cited: Cited


@dataclass(frozen=True)
class DoseBounds:
    """Accepted dose range for input validation (not a recommendation)."""

    min_mg_per_kg: float | None
    max_mg_per_kg: float | None
    min_mg: float | None
    max_mg: float | None
    cited: Cited


@dataclass(frozen=True)
class DeviceSpec:
    """Nasal spray device: each delivers ``mg_per_device`` in ``sprays_per_device`` sprays."""

    mg_per_device: int
    sprays_per_device: int
    wait_between_devices_minutes: int
    step_mg: int
    never_first_dose_mg: int | None
    cited: Cited
    # An increase from one dose to the next may be at most this many steps (None: no limit). Esketamine:
    # one 28 mg step, so 84 mg comes only after 56 mg [HCP-Dose3] [MIMS-HK].
    max_increase_steps: int | None = None


@dataclass(frozen=True)
class FirstDoseRule:
    """Day-1 dose and allowed later doses for an age band, optionally for one patient group only."""

    first_dose_mg: int
    later_doses_mg: tuple[int, ...]
    cited: Cited
    age_above_years: int | None = None
    age_at_most_years: int | None = None
    population: str | None = None  # one of POPULATIONS, or None for everyone in the age band

    def applies_to_age(self, age_years: int) -> bool:
        """Whether ``age_years`` falls in this rule's band."""
        if self.age_above_years is not None and not age_years > self.age_above_years:
            return False
        return not (self.age_at_most_years is not None and not age_years <= self.age_at_most_years)

    def applies_to(self, age_years: int, populations: frozenset[str]) -> bool:
        """Whether the rule applies to a patient of ``age_years`` belonging to ``populations``."""
        return self.applies_to_age(age_years) and (self.population is None or self.population in populations)


@dataclass(frozen=True)
class FrequencyLimit:
    """At most ``max_sessions_per_7_days`` sessions in any 7 consecutive days; more needs a prescriber's reason."""

    max_sessions_per_7_days: int
    cited: Cited


@dataclass(frozen=True)
class HepaticRule:
    """What moderate and severe liver impairment mean for the protocol (``HEPATIC_ACTIONS``)."""

    moderate: str
    severe: str
    cited: Cited


@dataclass(frozen=True)
class Phase:
    """A fixed block of course weeks with a number of sessions per week."""

    name: str
    first_week: int
    last_week: int
    sessions_per_week: int
    cited: Cited

    @property
    def session_count(self) -> int:
        """Sessions in the phase."""
        return (self.last_week - self.first_week + 1) * self.sessions_per_week


@dataclass(frozen=True)
class Preset:
    """A named schedule: fixed phases, or ``custom`` (the clinic gives weekdays and a session count)."""

    id: str
    name: str
    phases: tuple[Phase, ...]
    custom: bool
    max_sessions: int | None
    default_weekdays: tuple[int, ...]  # datetime.weekday() numbers, Monday = 0
    cited: Cited

    @property
    def sessions_per_week(self) -> int | None:
        """Sessions per week of the first phase (the weekday pattern's length), None for custom."""
        return self.phases[0].sessions_per_week if self.phases else None


@dataclass(frozen=True)
class Maintenance:
    """Open-ended maintenance: one session every ``interval_weeks`` (one of the allowed values)."""

    interval_weeks: tuple[int, ...]
    first_week: int | None
    cited: Cited


@dataclass(frozen=True)
class OutcomeFact:
    """A published outcome the software may quote (with its source)."""

    code: str
    value: float
    unit: str
    cited: Cited


@dataclass(frozen=True)
class Protocol:
    """A drug, a route and a dosing schedule."""

    id: str
    name: str
    drug: str
    route: str
    regulatory_status: str
    experimental: bool
    cited: Cited
    dose: DoseSpec
    dose_bounds: DoseBounds
    device: DeviceSpec | None
    first_doses: tuple[FirstDoseRule, ...]
    presets: tuple[Preset, ...]
    maintenance: Maintenance | None
    review: Cited
    outcomes: tuple[OutcomeFact, ...]
    frequency: FrequencyLimit | None = None
    hepatic: HepaticRule | None = None

    def preset(self, preset_id: str | None) -> Preset:
        """The preset ``preset_id`` (the first one when None); ValueError naming the allowed ids."""
        if preset_id is None:
            return self.presets[0]
        for preset in self.presets:
            if preset.id == preset_id:
                return preset
        allowed = ", ".join(p.id for p in self.presets)
        raise ValueError(f"unknown preset {preset_id!r} for protocol {self.id!r}; expected one of: {allowed}")

    def first_dose_for_age(self, age_years: int) -> FirstDoseRule | None:
        """The day-1 rule for ``age_years`` (rules for everyone only), or None when none applies."""
        return self.first_dose_for(age_years)

    def first_dose_for(
        self, age_years: int, populations: frozenset[str] = frozenset()
    ) -> FirstDoseRule | None:
        """The day-1 rule for a patient of ``age_years`` in ``populations``, or None when none applies.

        When several rules apply (a Japanese-ancestry rule and an age rule), the one with the lowest
        first dose wins: the more cautious start.
        """
        applicable = [rule for rule in self.first_doses if rule.applies_to(age_years, populations)]
        return min(applicable, key=lambda rule: rule.first_dose_mg) if applicable else None

    def outcome(self, code: str) -> OutcomeFact:
        """The outcome fact ``code``; KeyError when absent."""
        for fact in self.outcomes:
            if fact.code == code:
                return fact
        raise KeyError(code)


@dataclass(frozen=True)
class ProtocolCatalog:
    """All protocols and route rules from one protocols.toml."""

    protocols: Mapping[str, Protocol]
    routes: Mapping[str, RouteRules]

    def protocol(self, protocol_id: str) -> Protocol:
        """The protocol ``protocol_id``; ValueError naming the allowed ids."""
        try:
            return self.protocols[protocol_id]
        except KeyError:
            allowed = ", ".join(self.protocols)
            raise ValueError(f"unknown protocol {protocol_id!r}; expected one of: {allowed}") from None

    def route(self, route_id: str) -> RouteRules:
        """The rules for ``route_id``; ValueError naming the allowed ids."""
        try:
            return self.routes[route_id]
        except KeyError:
            allowed = ", ".join(self.routes)
            raise ValueError(f"unknown route {route_id!r}; expected one of: {allowed}") from None
