"""Treatment protocols and per-route session rules, loaded from ``knowledge/data/protocols.toml``.

The file is read once into frozen dataclasses and validated on load: an unknown source id, a duplicate id,
an unknown key, a missing field or a number out of range raises :class:`ProtocolDataError` naming the entry
(``protocol 'esketamine_trd' dose_bounds: min_mg 90 is above max_mg 84``). Every rule keeps its
``sources`` (ids from ``sources.toml``) and ``evidence``; a value the brief leaves unverified cites
``clinic-practice`` with evidence ``practice``.

Units are in the field names (``_mg``, ``_mg_per_kg``, ``_minutes``, ``_mmhg``, ``_bpm``, ``_pct``,
``_years``, ``_weeks``, ``_days``).
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ketacare.core.knowledge import Evidence, KnowledgeError, validate_source_ids

DATA_FILE = Path(__file__).resolve().parent / "knowledge" / "data" / "protocols.toml"

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

# Sanity ceilings for the data file itself (not clinical limits): they catch a typo such as 1200 minutes.
_MAX_MINUTES = 24 * 60
_MAX_WEEKS = 104
_MAX_SESSIONS = 60
# Whole years; an age outside is a typing error (input validation, not a clinical limit).
AGE_YEARS_RANGE = (0, 130)
_MAX_AGE_YEARS = AGE_YEARS_RANGE[1]

Comparison = Literal["above", "below", "rise_above_baseline", "fall_below_baseline"]


class ProtocolDataError(ValueError):
    """protocols.toml is malformed; the message names the entry and the field."""


# --------------------------------------------------------------------------------------------------------
# Dataclasses
# --------------------------------------------------------------------------------------------------------


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

    basis: Literal["mg_per_kg", "fixed_mg"]
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


@dataclass(frozen=True)
class FirstDoseRule:
    """Day-1 dose and allowed later doses for an age band."""

    first_dose_mg: int
    later_doses_mg: tuple[int, ...]
    cited: Cited
    age_above_years: int | None = None
    age_at_most_years: int | None = None

    def applies_to_age(self, age_years: int) -> bool:
        """Whether ``age_years`` falls in this rule's band."""
        if self.age_above_years is not None and not age_years > self.age_above_years:
            return False
        return not (self.age_at_most_years is not None and not age_years <= self.age_at_most_years)


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
        """The day-1 rule for ``age_years``, or None when the protocol has no age-specific day-1 dose."""
        for rule in self.first_doses:
            if rule.applies_to_age(age_years):
                return rule
        return None

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


# --------------------------------------------------------------------------------------------------------
# Public accessors
# --------------------------------------------------------------------------------------------------------


@functools.cache
def catalog() -> ProtocolCatalog:
    """The packaged catalog, loaded and validated once."""
    return load_protocols(DATA_FILE.read_text(encoding="utf-8"))


def get_protocol(protocol_id: str) -> Protocol:
    """The packaged protocol ``protocol_id`` (ValueError if unknown)."""
    return catalog().protocol(protocol_id)


def get_route(route_id: str) -> RouteRules:
    """The packaged rules for ``route_id`` (ValueError if unknown)."""
    return catalog().route(route_id)


def protocol_ids() -> tuple[str, ...]:
    """Ids of the packaged protocols, in file order."""
    return tuple(catalog().protocols)


def route_ids() -> tuple[str, ...]:
    """Ids of the packaged routes, in file order."""
    return tuple(catalog().routes)


# --------------------------------------------------------------------------------------------------------
# Loader
# --------------------------------------------------------------------------------------------------------


def load_protocols(text: str, *, check_sources: bool = True) -> ProtocolCatalog:
    """Parse and validate protocols.toml text into a :class:`ProtocolCatalog`.

    Citations are checked with ``ketacare.core.knowledge.validate_source_ids``: every id is in
    sources.toml, citing "clinic-practice" needs evidence "practice", and evidence "practice" needs a
    practice-level source. ``check_sources=False`` skips those checks (tests of the other rules).
    Raises :class:`ProtocolDataError` naming the entry on any problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolDataError(f"protocols.toml: invalid TOML: {exc}") from None
    root = _Table(data, "protocols.toml", check_sources)
    version = root.whole("schema_version", 1, 1)
    del version
    routes: dict[str, RouteRules] = {}
    for table in root.tables("route"):
        route = _parse_route(table)
        if route.id in routes:
            raise ProtocolDataError(f"protocols.toml: duplicate route id {route.id!r}")
        routes[route.id] = route
    protocols: dict[str, Protocol] = {}
    for table in root.tables("protocol"):
        protocol = _parse_protocol(table)
        if protocol.id in protocols:
            raise ProtocolDataError(f"protocols.toml: duplicate protocol id {protocol.id!r}")
        if protocol.route not in routes:
            raise ProtocolDataError(
                f"protocol {protocol.id!r}: route {protocol.route!r} has no [[route]] table "
                f"(known: {', '.join(routes)})"
            )
        protocols[protocol.id] = protocol
    root.done()
    if not protocols:
        raise ProtocolDataError("protocols.toml: no [[protocol]] entries")
    return ProtocolCatalog(protocols=protocols, routes=routes)


class _Table:
    """A TOML table being read: typed getters that name the entry in errors, and an unknown-key check."""

    def __init__(self, data: Any, where: str, check_sources: bool) -> None:
        if not isinstance(data, dict):
            raise ProtocolDataError(f"{where}: expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.where = where
        self.check_sources = check_sources
        self.used: set[str] = set()

    def fail(self, message: str) -> ProtocolDataError:
        return ProtocolDataError(f"{self.where}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.fail(f"missing {key!r}")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True, choices: Iterable[str] | None = None) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} must be a non-empty string, got {value!r}")
        if choices is not None and value not in tuple(choices):
            raise self.fail(f"{key} {value!r} is not one of: {', '.join(choices)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false, got {value!r}")
        return value

    def number(self, key: str, low: float, high: float, *, required: bool = True) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        # bool is an int in Python: reject it explicitly.
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"{key} must be a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(f"{key} {value!r} is out of range {low:g}-{high:g}")
        return float(value)

    def whole(self, key: str, low: int, high: int, *, required: bool = True) -> Any:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(f"{key} {value!r} is out of range {low}-{high}")
        return value

    def int_list(self, key: str, low: int, high: int, *, required: bool = True) -> tuple[int, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(f"{key} must be a non-empty list of whole numbers, got {value!r}")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                raise self.fail(f"{key} item {item!r} must be a whole number in range {low}-{high}")
        if list(value) != sorted(set(value)):
            raise self.fail(f"{key} {value!r} must be strictly increasing")
        return tuple(value)

    def weekdays(self, key: str) -> tuple[int, ...]:
        value = self._get(key, False)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(f"{key} must be a non-empty list of weekdays, got {value!r}")
        out: list[int] = []
        for item in value:
            if item not in WEEKDAYS:
                raise self.fail(f"{key} item {item!r} is not one of: {', '.join(WEEKDAYS)}")
            out.append(WEEKDAYS.index(item))
        if out != sorted(set(out)):
            raise self.fail(f"{key} {value!r} must be distinct and in week order (mon first)")
        return tuple(out)

    def cited(self) -> Cited:
        evidence = self.text("evidence", choices=sorted(EVIDENCE_TAGS))
        raw = self._get("sources", True)
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
            raise self.fail(f"sources must be a non-empty list of source ids, got {raw!r}")
        if len(set(raw)) != len(raw):
            raise self.fail(f"sources {raw!r} lists an id twice")
        if self.check_sources:
            try:
                validate_source_ids(raw, file="protocols.toml", where=self.where, evidence=evidence)
            except KnowledgeError as exc:
                raise ProtocolDataError(str(exc)) from None
        note = self.text("note", required=False) or ""
        return Cited(sources=tuple(raw), evidence=evidence, note=note)

    def table(self, key: str, *, required: bool = True) -> _Table | None:
        value = self._get(key, required)
        if value is None:
            return None
        return _Table(value, f"{self.where} {key}", self.check_sources)

    def tables(self, key: str) -> list[_Table]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key} must be an array of tables ([[{key}]])")
        out = []
        for index, item in enumerate(value):
            name = item.get("id") or item.get("code") or item.get("name") if isinstance(item, dict) else None
            where = f"{key} {name!r}" if name else f"{key} #{index + 1}"
            if self.where != "protocols.toml":
                where = f"{self.where} {where}"
            out.append(_Table(item, where, self.check_sources))
        return out

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(f"unknown key(s): {', '.join(unknown)}")


def _age_band(table: _Table) -> tuple[int | None, int | None]:
    above = table.whole("age_above_years", 0, _MAX_AGE_YEARS, required=False)
    at_most = table.whole("age_at_most_years", 0, _MAX_AGE_YEARS, required=False)
    if above is not None and at_most is not None and at_most <= above:
        raise table.fail(f"age_at_most_years {at_most} must be above age_above_years {above}")
    return above, at_most


def _parse_vital_rule(table: _Table, levels: tuple[str, ...]) -> VitalRule:
    code = table.text("code")
    field = table.text("field", choices=VITAL_FIELDS)
    comparison = table.text("comparison", choices=COMPARISONS)
    low, high = PHYSIOLOGICAL_RANGES[field]
    if comparison in ("above", "below"):
        value = table.number("value", low, high)
    else:
        value = table.number("value", 1, high - low)
    level = table.text("level", choices=levels)
    message = table.text("message")
    above, at_most = _age_band(table)
    cited = table.cited()
    table.done()
    return VitalRule(
        code=code,
        field=field,
        comparison=comparison,
        value=value,
        level=level,
        message=message,
        cited=cited,
        age_above_years=above,
        age_at_most_years=at_most,
    )


def _parse_route(table: _Table) -> RouteRules:
    route_id = table.text("id")
    name = table.text("name")

    obs = table.table("observation")
    assert obs is not None  # noqa: S101 - required=True above
    min_minutes = obs.whole("min_minutes", 1, _MAX_MINUTES)
    default_minutes = obs.whole("default_minutes", 1, _MAX_MINUTES)
    if default_minutes < min_minutes:
        raise obs.fail(f"default_minutes {default_minutes} is below min_minutes {min_minutes}")
    observation = ObservationRule(
        min_minutes=min_minutes,
        default_minutes=default_minutes,
        overridable=obs.flag("overridable", True),
        starts_at=obs.text("starts_at", choices=("dose_end",)),
        cited=obs.cited(),
    )
    obs.done()

    pre_dose_rules = tuple(_parse_vital_rule(t, PRE_DOSE_LEVELS) for t in table.tables("pre_dose_rule"))
    vital_rules = tuple(_parse_vital_rule(t, IN_SESSION_LEVELS) for t in table.tables("vital_rule"))
    for kind, rules in (("pre_dose_rule", pre_dose_rules), ("vital_rule", vital_rules)):
        codes = [r.code for r in rules]
        for code in codes:
            if codes.count(code) > 1:
                raise table.fail(f"duplicate {kind} code {code!r}")

    cp = table.table("checkpoints")
    assert cp is not None  # noqa: S101
    checkpoints = CheckpointRule(
        pre_dose=cp.flag("pre_dose", True),
        during_interval_minutes=cp.whole("during_interval_minutes", 1, 120, required=False),
        after_interval_minutes=cp.whole("after_interval_minutes", 1, 120, required=False),
        after_dose_minutes=cp.int_list("after_dose_minutes", 1, _MAX_MINUTES, required=False),
        before_discharge=cp.flag("before_discharge", True),
        cited=cp.cited(),
    )
    cp.done()

    fa = table.table("fasting")
    assert fa is not None  # noqa: S101
    fasting = FastingRule(
        food_minutes_before=fa.whole("food_minutes_before", 1, _MAX_MINUTES, required=False),
        liquids_minutes_before=fa.whole("liquids_minutes_before", 1, _MAX_MINUTES, required=False),
        nasal_steroid_minutes_before=fa.whole(
            "nasal_steroid_minutes_before", 1, _MAX_MINUTES, required=False
        ),
        cited=fa.cited(),
    )
    fa.done()

    dr = table.table("driving")
    assert dr is not None  # noqa: S101
    driving = DrivingRule(rule=dr.text("rule"), cited=dr.cited())
    dr.done()

    rems = None
    rt = table.table("rems", required=False)
    if rt is not None:
        rems = RemsRule(
            form_due_days=rt.whole("form_due_days", 1, 365),
            applies_to=rt.text("applies_to", choices=("outpatient", "all")),
            cited=rt.cited(),
        )
        rt.done()
    table.done()
    return RouteRules(
        id=route_id,
        name=name,
        observation=observation,
        pre_dose_rules=pre_dose_rules,
        vital_rules=vital_rules,
        checkpoints=checkpoints,
        fasting=fasting,
        driving=driving,
        rems=rems,
    )


def _parse_protocol(table: _Table) -> Protocol:
    protocol_id = table.text("id")
    name = table.text("name")
    drug = table.text("drug")
    route = table.text("route")
    status = table.text("regulatory_status", choices=("approved", "off-label"))
    experimental = table.flag("experimental", False)
    cited = table.cited()

    dt = table.table("dose")
    assert dt is not None  # noqa: S101
    basis = dt.text("basis", choices=("mg_per_kg", "fixed_mg"))
    dose = DoseSpec(
        basis=basis,
        standard_mg_per_kg=dt.number("standard_mg_per_kg", 0.01, 20, required=False),
        standard_mg=dt.number("standard_mg", 1, 1000, required=False),
        infusion_minutes=dt.whole("infusion_minutes", 1, _MAX_MINUTES, required=False),
        min_age_years=dt.whole("min_age_years", 0, _MAX_AGE_YEARS, required=False),
        cited=dt.cited(),
    )
    if basis == "mg_per_kg" and dose.standard_mg is not None:
        raise dt.fail("standard_mg given for a mg_per_kg protocol; use standard_mg_per_kg")
    if basis == "fixed_mg" and dose.standard_mg_per_kg is not None:
        raise dt.fail("standard_mg_per_kg given for a fixed_mg protocol; use standard_mg")
    dt.done()

    bt = table.table("dose_bounds")
    assert bt is not None  # noqa: S101
    bounds = DoseBounds(
        min_mg_per_kg=bt.number("min_mg_per_kg", 0.001, 50, required=False),
        max_mg_per_kg=bt.number("max_mg_per_kg", 0.001, 50, required=False),
        min_mg=bt.number("min_mg", 0.1, 5000, required=False),
        max_mg=bt.number("max_mg", 0.1, 5000, required=False),
        cited=bt.cited(),
    )
    for unit in ("mg_per_kg", "mg"):
        low, high = getattr(bounds, f"min_{unit}"), getattr(bounds, f"max_{unit}")
        if (low is None) != (high is None):
            raise bt.fail(f"give both min_{unit} and max_{unit}, or neither")
        if low is not None and low > high:
            raise bt.fail(f"min_{unit} {low:g} is above max_{unit} {high:g}")
    if basis == "mg_per_kg" and bounds.min_mg_per_kg is None:
        raise bt.fail("a mg_per_kg protocol needs min_mg_per_kg and max_mg_per_kg")
    if basis == "fixed_mg" and bounds.min_mg is None:
        raise bt.fail("a fixed_mg protocol needs min_mg and max_mg")
    for label, standard, low, high in (
        ("standard_mg_per_kg", dose.standard_mg_per_kg, bounds.min_mg_per_kg, bounds.max_mg_per_kg),
        ("standard_mg", dose.standard_mg, bounds.min_mg, bounds.max_mg),
    ):
        if standard is not None and low is not None and high is not None and not low <= standard <= high:
            raise bt.fail(f"dose {label} {standard:g} is outside the bounds {low:g}-{high:g}")
    bt.done()

    device = None
    dv = table.table("device", required=False)
    if dv is not None:
        device = DeviceSpec(
            mg_per_device=dv.whole("mg_per_device", 1, 1000),
            sprays_per_device=dv.whole("sprays_per_device", 1, 10),
            wait_between_devices_minutes=dv.whole("wait_between_devices_minutes", 0, 60),
            step_mg=dv.whole("step_mg", 1, 1000),
            never_first_dose_mg=dv.whole("never_first_dose_mg", 1, 1000, required=False),
            cited=dv.cited(),
        )
        dv.done()

    first_doses = []
    for ft in table.tables("first_dose"):
        above, at_most = _age_band(ft)
        rule = FirstDoseRule(
            first_dose_mg=ft.whole("first_dose_mg", 1, 1000),
            later_doses_mg=ft.int_list("later_doses_mg", 1, 1000),
            cited=ft.cited(),
            age_above_years=above,
            age_at_most_years=at_most,
        )
        ft.done()
        for amount in (rule.first_dose_mg, *rule.later_doses_mg):
            low_mg, high_mg = bounds.min_mg, bounds.max_mg
            if low_mg is not None and high_mg is not None and not low_mg <= amount <= high_mg:
                raise ft.fail(f"dose {amount} mg is outside the bounds {low_mg:g}-{high_mg:g} mg")
            if device is not None and amount % device.mg_per_device:
                raise ft.fail(f"dose {amount} mg is not a multiple of {device.mg_per_device} mg devices")
        if device is not None and rule.first_dose_mg == device.never_first_dose_mg:
            raise ft.fail(f"first_dose_mg {rule.first_dose_mg} is the never-first dose")
        first_doses.append(rule)

    presets: list[Preset] = []
    for pt in table.tables("preset"):
        preset = _parse_preset(pt)
        if any(p.id == preset.id for p in presets):
            raise table.fail(f"duplicate preset id {preset.id!r}")
        presets.append(preset)
    if not presets:
        raise table.fail("needs at least one [[protocol.preset]]")

    maintenance = None
    mt = table.table("maintenance", required=False)
    if mt is not None:
        maintenance = Maintenance(
            interval_weeks=mt.int_list("interval_weeks", 1, 52),
            first_week=mt.whole("first_week", 2, _MAX_WEEKS, required=False),
            cited=mt.cited(),
        )
        mt.done()
        for preset in presets:
            last = max((ph.last_week for ph in preset.phases), default=0)
            if maintenance.first_week is not None and maintenance.first_week <= last:
                raise mt.fail(
                    f"first_week {maintenance.first_week} overlaps preset {preset.id!r}, which runs to week {last}"
                )

    rv = table.table("review")
    assert rv is not None  # noqa: S101
    review = rv.cited()
    rv.done()

    outcomes = []
    for ot in table.tables("outcome"):
        outcomes.append(
            OutcomeFact(
                code=ot.text("code"),
                value=ot.number("value", -1e6, 1e6),
                unit=ot.text("unit"),
                cited=ot.cited(),
            )
        )
        ot.done()
    codes = [o.code for o in outcomes]
    if len(set(codes)) != len(codes):
        raise table.fail("duplicate outcome code")
    table.done()
    return Protocol(
        id=protocol_id,
        name=name,
        drug=drug,
        route=route,
        regulatory_status=status,
        experimental=experimental,
        cited=cited,
        dose=dose,
        dose_bounds=bounds,
        device=device,
        first_doses=tuple(first_doses),
        presets=tuple(presets),
        maintenance=maintenance,
        review=review,
        outcomes=tuple(outcomes),
    )


def _parse_preset(table: _Table) -> Preset:
    preset_id = table.text("id")
    name = table.text("name")
    custom = table.flag("custom", False)
    max_sessions = table.whole("max_sessions", 1, _MAX_SESSIONS, required=False)
    weekdays = table.weekdays("default_weekdays")
    cited = table.cited()
    phases: list[Phase] = []
    for ph in table.tables("phase"):
        first = ph.whole("first_week", 1, _MAX_WEEKS)
        last = ph.whole("last_week", 1, _MAX_WEEKS)
        if last < first:
            raise ph.fail(f"last_week {last} is before first_week {first}")
        phase = Phase(
            name=ph.text("name", choices=PHASES),
            first_week=first,
            last_week=last,
            sessions_per_week=ph.whole("sessions_per_week", 1, 7),
            cited=ph.cited(),
        )
        ph.done()
        expected_first = phases[-1].last_week + 1 if phases else 1
        if phase.first_week != expected_first:
            raise ph.fail(f"first_week {phase.first_week} should be {expected_first} (phases are contiguous)")
        phases.append(phase)
    table.done()
    if custom:
        if phases or weekdays:
            raise table.fail("a custom preset takes no phases and no default_weekdays")
        if max_sessions is None:
            raise table.fail("a custom preset needs max_sessions")
    else:
        if not phases:
            raise table.fail("needs at least one [[protocol.preset.phase]] (or custom = true)")
        if phases[0].name != "induction":
            raise table.fail("the first phase must be 'induction'")
        if max_sessions is not None:
            raise table.fail("max_sessions is only for custom presets")
        most = max(ph.sessions_per_week for ph in phases)
        if len(weekdays) != most:
            raise table.fail(
                f"default_weekdays has {len(weekdays)} day(s) but the schedule needs {most} per week"
            )
    return Preset(
        id=preset_id,
        name=name,
        phases=tuple(phases),
        custom=custom,
        max_sessions=max_sessions,
        default_weekdays=weekdays,
        cited=cited,
    )
