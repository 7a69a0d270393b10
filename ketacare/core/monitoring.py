"""Chair-side monitoring rules: pre-dose holds, vital-sign flags, checkpoints, discharge readiness, REMS.

The thresholds are data (``[[route]]`` tables in knowledge/data/protocols.toml), each citing its source;
most in-session numbers are clinic practice because the brief found no published standard (brief 2b).
Routes are ``iv``, ``esketamine_in``, ``oral`` and ``sublingual`` (the ids of side_effects.toml).

Vital signs carry their units in their names: ``systolic_mmhg``, ``diastolic_mmhg``, ``heart_rate_bpm``,
``spo2_pct``. A reading outside :data:`PHYSIOLOGICAL_RANGES` is a typing error and raises ValueError
naming the field and the range; it is never silently flagged. Datetimes are timezone-aware.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ketacare.core.display import vital_reading
from ketacare.core.protocols import AGE_YEARS_RANGE, PHYSIOLOGICAL_RANGES, RouteRules, VitalRule, get_route

__all__ = [
    "PHYSIOLOGICAL_RANGES",
    "MOAAS_ALERT",
    "DischargeReadiness",
    "PreDoseReason",
    "PreDoseResult",
    "UnmetCriterion",
    "VitalCheckpoint",
    "VitalFlag",
    "VitalSigns",
    "check_pre_dose",
    "discharge_readiness",
    "flag_vitals",
    "observation_minutes",
    "rems_form_due_by",
    "vital_checkpoints",
]

# MOAA/S 5: responds readily to name spoken in a normal tone, i.e. alert [MOAAS]. Anything lower is
# sedation, and the REMS requires monitoring until sedation has resolved [REMS-FDA].
MOAAS_ALERT = 5
MOAAS_RANGE = (0, 5)
# Sanity limit on session timings (a software limit, not a clinical one).
_MAX_SESSION_MINUTES = 24 * 60


@dataclass(frozen=True)
class VitalSigns:
    """One set of vital signs; validated on creation against :data:`PHYSIOLOGICAL_RANGES`."""

    systolic_mmhg: float
    diastolic_mmhg: float
    heart_rate_bpm: float | None = None
    spo2_pct: float | None = None

    def __post_init__(self) -> None:
        for field, (low, high) in PHYSIOLOGICAL_RANGES.items():
            value = getattr(self, field)
            if value is None and field in ("heart_rate_bpm", "spo2_pct"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{field} must be a number in range {low:g}-{high:g}, got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{field} {value:g} is out of range {low:g}-{high:g}")
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise ValueError(
                f"diastolic_mmhg {self.diastolic_mmhg:g} must be below systolic_mmhg {self.systolic_mmhg:g}"
            )

    def value(self, field: str) -> float | None:
        """The reading for ``field`` (one of PHYSIOLOGICAL_RANGES' keys), None when not measured."""
        reading: float | None = getattr(self, field)
        return reading


# --------------------------------------------------------------------------------------------------------
# Vital-sign rules
# --------------------------------------------------------------------------------------------------------


def _breach(rule: VitalRule, reading: VitalSigns, baseline: VitalSigns | None) -> bool:
    value = reading.value(rule.field)
    if value is None:
        return False
    if rule.comparison == "above":
        return value > rule.value
    if rule.comparison == "below":
        return value < rule.value
    before = baseline.value(rule.field) if baseline is not None else None
    if before is None:
        return False
    if rule.comparison == "rise_above_baseline":
        return value - before > rule.value
    return before - value > rule.value  # fall_below_baseline


@dataclass(frozen=True)
class PreDoseReason:
    """Why a pre-dose check holds (``level`` hold) or warns (``level`` advisory)."""

    code: str
    level: Literal["hold", "advisory"]
    field: str
    value: float
    threshold: float
    message: str
    sources: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class PreDoseResult:
    """``hold`` True: do not dose until a prescriber has decided (not a contraindication)."""

    hold: bool
    reasons: tuple[PreDoseReason, ...]


def check_pre_dose(
    route: str,
    age_years: int,
    systolic_mmhg: float,
    diastolic_mmhg: float,
    heart_rate_bpm: float | None = None,
    spo2_pct: float | None = None,
) -> PreDoseResult:
    """Check pre-dose vital signs against the route's hold rules.

    Esketamine: BP above 140/90 mmHg is flagged for a prescriber decision [JNJ-BP]; over 65, the phase 3
    trials withheld dosing only above 150 mmHg systolic [JNJ-CV], so 141-150 is an advisory there. IV,
    oral and sublingual borrow 140/90 as clinic practice. Heart rate and SpO2 limits are clinic practice.
    Returns every reason that applies; ``hold`` is True when any reason holds.
    """
    rules = get_route(route)
    low, high = AGE_YEARS_RANGE
    if isinstance(age_years, bool) or not isinstance(age_years, int) or not low <= age_years <= high:
        raise ValueError(f"age_years {age_years!r} is out of range; expected a whole number {low}-{high}")
    reading = VitalSigns(systolic_mmhg, diastolic_mmhg, heart_rate_bpm, spo2_pct)
    reasons = []
    for rule in rules.pre_dose_rules:
        if rule.applies_to_age(age_years) and _breach(rule, reading, None):
            observed = reading.value(rule.field)
            assert observed is not None  # noqa: S101 - a breach needs a value
            reasons.append(
                PreDoseReason(
                    code=rule.code,
                    level=rule.level,  # type: ignore[arg-type]  # the loader restricts pre-dose levels
                    field=rule.field,
                    value=observed,
                    threshold=rule.value,
                    message=f"{rule.message} ({vital_reading(rule.field, observed)})",
                    sources=rule.cited.sources,
                    evidence=rule.cited.evidence,
                )
            )
    return PreDoseResult(hold=any(r.level == "hold" for r in reasons), reasons=tuple(reasons))


@dataclass(frozen=True)
class VitalFlag:
    """A reading past an in-session threshold; ``critical`` means act now."""

    code: str
    level: Literal["warning", "critical"]
    field: str
    value: float
    threshold: float
    message: str
    sources: tuple[str, ...]
    evidence: str


def flag_vitals(route: str, baseline: VitalSigns | None, reading: VitalSigns) -> list[VitalFlag]:
    """Flags for one in-session ``reading``, compared with absolute limits and the pre-dose ``baseline``.

    Thresholds (all strict, per route in protocols.toml): systolic > 180 or diastolic > 110 mmHg is
    critical (the level studies counted as a marked rise [DelSant2020]; a series stopped at 180/115
    [Murrough2013b]); a rise of more than 40/25 mmHg over baseline, systolic < 90 mmHg, heart rate
    > 120 or < 50/min and SpO2 < 92% are warnings; SpO2 < 90% is critical. All numbers are clinic practice.
    Baseline rules are skipped when ``baseline`` is None. Critical flags come first.
    """
    rules = get_route(route)
    flags = []
    for rule in rules.vital_rules:
        if _breach(rule, reading, baseline):
            observed = reading.value(rule.field)
            assert observed is not None  # noqa: S101 - a breach needs a value
            flags.append(
                VitalFlag(
                    code=rule.code,
                    level=rule.level,  # type: ignore[arg-type]  # the loader restricts in-session levels
                    field=rule.field,
                    value=observed,
                    threshold=rule.value,
                    message=f"{rule.message} ({vital_reading(rule.field, observed)})",
                    sources=rule.cited.sources,
                    evidence=rule.cited.evidence,
                )
            )
    flags.sort(key=lambda f: f.level != "critical")
    return flags


# --------------------------------------------------------------------------------------------------------
# Observation and discharge
# --------------------------------------------------------------------------------------------------------


def observation_minutes(route: str, clinic_min_observation_min: int | None = None) -> int:
    """Minimum observation after the end of dosing, in minutes, for ``route`` and a clinic setting.

    None gives the route's default (esketamine 120 [REMS-FDA]; IV, oral and sublingual 60, clinic
    practice). A clinic setting may lengthen it; a setting below the route's minimum (esketamine 120, a
    hard rule; others 30) raises ValueError rather than being ignored, so a misconfigured clinic is seen
    when the setting is saved and never silently shortens observation.
    """
    rule = get_route(route).observation
    if clinic_min_observation_min is None:
        return rule.default_minutes
    value = clinic_min_observation_min
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SESSION_MINUTES:
        raise ValueError(
            f"clinic_min_observation_min {value!r} is out of range; expected whole minutes "
            f"{rule.min_minutes}-{_MAX_SESSION_MINUTES}"
        )
    if value < rule.min_minutes:
        hard = " (a hard rule)" if not rule.overridable else ""
        raise ValueError(
            f"clinic_min_observation_min {value} is below the {rule.min_minutes}-minute minimum for route "
            f"{route!r}{hard} [{', '.join(rule.cited.sources)}]; a clinic may lengthen observation, "
            f"not shorten it: expected {rule.min_minutes}-{_MAX_SESSION_MINUTES}"
        )
    return value


@dataclass(frozen=True)
class UnmetCriterion:
    """One discharge criterion not yet met: a stable ``code`` and a message for the run-sheet."""

    code: str
    message: str


@dataclass(frozen=True)
class DischargeReadiness:
    """``ready`` only when ``unmet`` is empty; ``required_observation_minutes`` is what applied."""

    ready: bool
    unmet: tuple[UnmetCriterion, ...]
    required_observation_minutes: int


def discharge_readiness(
    route: str,
    minutes_since_dose: float,
    moaas_score: int | None,
    baseline_vitals: VitalSigns | None,
    latest_vitals: VitalSigns | None,
    ride_home_confirmed: bool,
    instructions_given: bool,
    clinic_min_observation_min: int | None = None,
    *,
    dissociation_resolved: bool | None = None,
) -> DischargeReadiness:
    """Whether a patient may leave, with EVERY criterion that is not met (never only the first).

    ``minutes_since_dose`` counts from the end of dosing (last nasal device, end of the infusion).
    Criteria, each an :class:`UnmetCriterion` code when not met:

    - ``observation_time``: at least :func:`observation_minutes` (esketamine 120, hard [REMS-FDA]);
    - ``sedation_not_assessed`` / ``sedation``: MOAA/S must be 5, alert [MOAAS] (REMS: until sedation
      resolves);
    - ``dissociation_not_assessed`` / ``dissociation``: resolved (REMS: until dissociation resolves);
      None means not assessed;
    - ``baseline_vitals_missing``, ``vitals_not_recorded``, ``spo2_not_recorded``: a pre-dose set, a
      latest set and a latest SpO2 (pulse oximetry at each session [HCP-Dose]);
    - ``vitals_out_of_range``: the latest set raises a :func:`flag_vitals` flag (values must be consistent
      at a safe level [HCP-Dose]; back to baseline [RCEM]);
    - ``ride_home``: transport arranged (no driving until the next day after restful sleep [HCP-Dose]);
    - ``instructions``: discharge instructions given (clinic practice).

    A ``clinic_min_observation_min`` below the route minimum raises ValueError (see observation_minutes).
    """
    required = observation_minutes(route, clinic_min_observation_min)
    rules = get_route(route)
    minutes = _minutes("minutes_since_dose", minutes_since_dose)
    unmet: list[UnmetCriterion] = []

    def add(code: str, message: str) -> None:
        unmet.append(UnmetCriterion(code, message))

    if minutes < required:
        hard = " (REMS: a hard rule)" if not rules.observation.overridable else ""
        add(
            "observation_time",
            f"Observed {minutes:g} min of the required {required} min{hard}; {required - minutes:g} min to go.",
        )
    if moaas_score is None:
        add("sedation_not_assessed", "Sedation (MOAA/S) has not been assessed.")
    else:
        low, high = MOAAS_RANGE
        if (
            isinstance(moaas_score, bool)
            or not isinstance(moaas_score, int)
            or not low <= moaas_score <= high
        ):
            raise ValueError(
                f"moaas_score {moaas_score!r} is out of range; expected a whole number {low}-{high}"
            )
        if moaas_score < MOAAS_ALERT:
            add("sedation", f"MOAA/S is {moaas_score}; the patient must be alert (5) before leaving.")
    if dissociation_resolved is None:
        add("dissociation_not_assessed", "Dissociation has not been assessed.")
    elif not dissociation_resolved:
        add("dissociation", "Dissociation has not resolved.")
    if baseline_vitals is None:
        add("baseline_vitals_missing", "No pre-dose vital signs are recorded.")
    if latest_vitals is None:
        add("vitals_not_recorded", "No vital signs are recorded since dosing.")
    else:
        if latest_vitals.spo2_pct is None:
            add("spo2_not_recorded", "The latest vital signs have no SpO2 (pulse oximetry).")
        flags = flag_vitals(route, baseline_vitals, latest_vitals)
        if flags:
            add(
                "vitals_out_of_range",
                "Latest vital signs not at a safe level: " + "; ".join(f.message for f in flags),
            )
    if not ride_home_confirmed:
        add("ride_home", f"No ride home confirmed. {rules.driving.rule}")
    if not instructions_given:
        add("instructions", "Discharge instructions have not been given.")
    return DischargeReadiness(ready=not unmet, unmet=tuple(unmet), required_observation_minutes=required)


def _minutes(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of minutes, got {value!r}")
    if not 0 <= value <= _MAX_SESSION_MINUTES:
        raise ValueError(f"{name} {value:g} is out of range 0-{_MAX_SESSION_MINUTES}")
    return float(value)


# --------------------------------------------------------------------------------------------------------
# Checkpoints and REMS
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalCheckpoint:
    """A time vital signs are due, for the run-sheet: ``pre_dose``, ``during_dose``, ``end_of_dose``,
    ``after_dose`` or ``before_discharge``; ``minutes_after_dose_end`` is negative before the end."""

    due_at: datetime
    code: str
    minutes_after_dose_end: int


def vital_checkpoints(
    route: str,
    dose_start: datetime,
    dose_end: datetime,
    *,
    clinic_min_observation_min: int | None = None,
    interval_minutes: int | None = None,
) -> list[VitalCheckpoint]:
    """When vital signs are due, from before the dose to discharge, in time order.

    Esketamine: before dosing, 40 min after dosing and before discharge [HCP-Dose] [REMS-PMF]. IV: before
    the infusion, every 15 min during and after it, at its end, and before discharge (clinic practice;
    one series used 10 min during, 15 after [Emory2018]). ``interval_minutes`` replaces the route's
    intervals (clinic setting). Discharge is ``dose_end`` plus :func:`observation_minutes`.

    Arithmetic is in absolute time (a 15-min interval is 15 real minutes even across a DST change); the
    results are expressed in ``dose_start``'s zone.
    """
    rules: RouteRules = get_route(route)
    for name, value in (("dose_start", dose_start), ("dose_end", dose_end)):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if dose_end < dose_start:
        raise ValueError(f"dose_end {dose_end.isoformat()} is before dose_start {dose_start.isoformat()}")
    if dose_end - dose_start > timedelta(minutes=_MAX_SESSION_MINUTES):
        raise ValueError(
            f"dosing lasts more than {_MAX_SESSION_MINUTES} minutes; check dose_start and dose_end"
        )
    if interval_minutes is not None and (
        isinstance(interval_minutes, bool)
        or not isinstance(interval_minutes, int)
        or not 1 <= interval_minutes <= 120
    ):
        raise ValueError(
            f"interval_minutes {interval_minutes!r} is out of range; expected whole minutes 1-120"
        )
    observation = observation_minutes(route, clinic_min_observation_min)
    zone = dose_start.tzinfo
    start_utc, end_utc = dose_start.astimezone(UTC), dose_end.astimezone(UTC)
    discharge_utc = end_utc + timedelta(minutes=observation)
    cp = rules.checkpoints
    points: list[tuple[datetime, str]] = []
    if cp.pre_dose:
        points.append((start_utc, "pre_dose"))
    during = interval_minutes or cp.during_interval_minutes
    if cp.during_interval_minutes is not None and during is not None:
        at = start_utc + timedelta(minutes=during)
        while at < end_utc:
            points.append((at, "during_dose"))
            at += timedelta(minutes=during)
        if end_utc > start_utc:
            points.append((end_utc, "end_of_dose"))
    for offset in cp.after_dose_minutes:
        if end_utc + timedelta(minutes=offset) < discharge_utc:
            points.append((end_utc + timedelta(minutes=offset), "after_dose"))
    after = interval_minutes or cp.after_interval_minutes
    if cp.after_interval_minutes is not None and after is not None:
        at = end_utc + timedelta(minutes=after)
        while at < discharge_utc:
            points.append((at, "after_dose"))
            at += timedelta(minutes=after)
    if cp.before_discharge:
        points.append((discharge_utc, "before_discharge"))
    seen: set[datetime] = set()
    out = []
    for at, code in sorted(points, key=lambda p: p[0]):
        if at in seen:
            continue
        seen.add(at)
        minutes_after_end = round((at - end_utc).total_seconds() / 60)
        out.append(
            VitalCheckpoint(due_at=at.astimezone(zone), code=code, minutes_after_dose_end=minutes_after_end)
        )
    return out


def rems_form_due_by(route: str, session_at: datetime, *, inpatient: bool = False) -> datetime | None:
    """Deadline for the REMS patient monitoring form, or None when the route or setting needs none.

    Esketamine outpatient sessions: within 7 days [REMS-PMF]; inpatient settings are exempt [REMS-Inpt].
    Counted in calendar days on the wall clock of ``session_at``'s zone (pass it in the clinic's zone), so
    a DST change in between does not move the deadline's local time.
    """
    if not isinstance(session_at, datetime) or session_at.tzinfo is None or session_at.utcoffset() is None:
        raise ValueError(f"session_at must be a timezone-aware datetime, got {session_at!r}")
    rems = get_route(route).rems
    if rems is None or (inpatient and rems.applies_to == "outpatient"):
        return None
    # Aware + timedelta keeps the wall time (calendar arithmetic); normalise in case it lands in a DST gap.
    due = session_at + timedelta(days=rems.form_due_days)
    return due.astimezone(UTC).astimezone(session_at.tzinfo)
