"""Read protocols.toml into the catalogue of :mod:`ketacare.core.protocols.model`, validating every value.

An unknown source id, a duplicate id, an unknown key, a missing key or a number out of range raises
:class:`~ketacare.core.protocols.model.ProtocolDataError` naming the entry
(``protocol 'esketamine_trd' dose_bounds: min_mg 90 is above max_mg 84``). Tables are read with
:mod:`ketacare.core.tomlload`, shared with the knowledge loader and the instrument registry.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Self, cast, get_args

from ketacare.core.knowledge import KnowledgeError, validate_source_ids
from ketacare.core.protocols.model import (
    AGE_YEARS_RANGE,
    COMPARISONS,
    EVIDENCE_TAGS,
    HEPATIC_ACTIONS,
    IN_SESSION_LEVELS,
    PHASES,
    PHYSIOLOGICAL_RANGES,
    POPULATIONS,
    PRE_DOSE_LEVELS,
    VITAL_FIELDS,
    WEEKDAYS,
    CheckpointRule,
    Cited,
    Comparison,
    DeviceSpec,
    DoseBasis,
    DoseBounds,
    DoseSpec,
    DrivingRule,
    FastingRule,
    FirstDoseRule,
    FrequencyLimit,
    HepaticRule,
    Maintenance,
    ObservationRule,
    OutcomeFact,
    Phase,
    Preset,
    Protocol,
    ProtocolCatalog,
    ProtocolDataError,
    RemsRule,
    RouteRules,
    VitalRule,
)
from ketacare.core.tomlload import TomlTable, did_you_mean, not_one_of, parse_toml

DATA_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "protocols.toml"

# Sanity ceilings for the data file itself (not clinical limits): they catch a typo such as 1200 minutes.
_MAX_MINUTES = 24 * 60
_MAX_WEEKS = 104
_MAX_SESSIONS = 60
_MAX_AGE_YEARS = AGE_YEARS_RANGE[1]


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
    file = DATA_FILE.name
    root = _ProtocolTable(parse_toml(text, file, ProtocolDataError), file=file, check_sources=check_sources)
    root.whole("schema_version", 1, 1)
    routes: dict[str, RouteRules] = {}
    for table in root.tables("route"):
        route = _parse_route(table)
        if route.id in routes:
            raise root.error(f"duplicate route id {route.id!r}")
        routes[route.id] = route
    protocols: dict[str, Protocol] = {}
    for table in root.tables("protocol", required=True):
        protocol = _parse_protocol(table)
        if protocol.id in protocols:
            raise root.error(f"duplicate protocol id {protocol.id!r}")
        if protocol.route not in routes:
            raise root.error(
                f"protocol {protocol.id!r}: route {protocol.route!r} has no [[route]] table "
                f"(known: {', '.join(routes)})"
            )
        protocols[protocol.id] = protocol
    root.finish()
    return ProtocolCatalog(protocols=protocols, routes=routes)


class _ProtocolTable(TomlTable):
    """A table of protocols.toml: the shared getters plus weekdays and citations."""

    error_type = ProtocolDataError

    def __init__(self, data: Any, *, file: str, where: str = "", check_sources: bool = True) -> None:
        super().__init__(data, file=file, where=where)
        self.check_sources = check_sources

    def nested(self, data: object, where: str) -> Self:
        """Return a reader for an inner table that checks its citations as this one does."""
        return type(self)(data, file=self.file, where=where, check_sources=self.check_sources)

    def unknown_keys_problem(self, unknown: list[str], allowed: list[str]) -> str:
        """Name the keys plainly, as every other message of this loader prints key names."""
        hint = did_you_mean(unknown[0], allowed, limit=1) if len(unknown) == 1 else ""
        return f"unknown key(s): {', '.join(unknown)}{hint}; allowed: {', '.join(allowed)}"

    def weekdays(self, key: str) -> tuple[int, ...]:
        """The optional list of weekday names ``key`` as ``datetime.weekday()`` numbers, in week order."""
        value = self.value(key, required=False)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.error(f"{key} must be a non-empty list of weekdays, got {value!r}")
        out: list[int] = []
        for item in value:
            if item not in WEEKDAYS:
                raise self.error(not_one_of(f"{key} item", item, WEEKDAYS))
            out.append(WEEKDAYS.index(item))
        if out != sorted(set(out)):
            raise self.error(f"{key} {value!r} must be distinct and in week order (mon first)")
        return tuple(out)

    def cited(self) -> Cited:
        """The entry's ``evidence``, ``sources`` and optional ``note``, checked against sources.toml."""
        evidence = self.text("evidence", choices=sorted(EVIDENCE_TAGS))
        sources = self.texts("sources")
        if self.check_sources:
            try:
                validate_source_ids(sources, file=self.file, where=self.where, evidence=evidence)
            except KnowledgeError as exc:
                raise ProtocolDataError(str(exc)) from None
        return Cited(sources=sources, evidence=evidence, note=self.optional_text("note") or "")


def _age_band(table: _ProtocolTable) -> tuple[int | None, int | None]:
    above = table.optional_whole("age_above_years", 0, _MAX_AGE_YEARS)
    at_most = table.optional_whole("age_at_most_years", 0, _MAX_AGE_YEARS)
    if above is not None and at_most is not None and at_most <= above:
        raise table.error(f"age_at_most_years {at_most} must be above age_above_years {above}")
    return above, at_most


def _parse_vital_rule(table: _ProtocolTable, levels: tuple[str, ...]) -> VitalRule:
    code = table.text("code")
    field = table.text("field", choices=VITAL_FIELDS)
    comparison = cast(Comparison, table.text("comparison", choices=COMPARISONS))
    low, high = PHYSIOLOGICAL_RANGES[field]
    if comparison in ("above", "below"):
        value = table.number("value", low, high)
    else:
        value = table.number("value", 1, high - low)
    level = table.text("level", choices=levels)
    message = table.text("message")
    above, at_most = _age_band(table)
    cited = table.cited()
    table.finish()
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


def _parse_route(table: _ProtocolTable) -> RouteRules:
    route_id = table.text("id")
    name = table.text("name")

    obs = table.table("observation")
    min_minutes = obs.whole("min_minutes", 1, _MAX_MINUTES)
    default_minutes = obs.whole("default_minutes", 1, _MAX_MINUTES)
    if default_minutes < min_minutes:
        raise obs.error(f"default_minutes {default_minutes} is below min_minutes {min_minutes}")
    observation = ObservationRule(
        min_minutes=min_minutes,
        default_minutes=default_minutes,
        overridable=obs.flag("overridable", True),
        starts_at=obs.text("starts_at", choices=("dose_end",)),
        cited=obs.cited(),
    )
    obs.finish()

    pre_dose_rules = tuple(_parse_vital_rule(t, PRE_DOSE_LEVELS) for t in table.tables("pre_dose_rule"))
    vital_rules = tuple(_parse_vital_rule(t, IN_SESSION_LEVELS) for t in table.tables("vital_rule"))
    for kind, rules in (("pre_dose_rule", pre_dose_rules), ("vital_rule", vital_rules)):
        codes = [r.code for r in rules]
        for code in codes:
            if codes.count(code) > 1:
                raise table.error(f"duplicate {kind} code {code!r}")

    cp = table.table("checkpoints")
    checkpoints = CheckpointRule(
        pre_dose=cp.flag("pre_dose", True),
        during_interval_minutes=cp.optional_whole("during_interval_minutes", 1, 120),
        after_interval_minutes=cp.optional_whole("after_interval_minutes", 1, 120),
        after_dose_minutes=cp.wholes("after_dose_minutes", 1, _MAX_MINUTES, required=False),
        before_discharge=cp.flag("before_discharge", True),
        cited=cp.cited(),
    )
    cp.finish()

    fa = table.table("fasting")
    fasting = FastingRule(
        food_minutes_before=fa.optional_whole("food_minutes_before", 1, _MAX_MINUTES),
        liquids_minutes_before=fa.optional_whole("liquids_minutes_before", 1, _MAX_MINUTES),
        nasal_steroid_minutes_before=fa.optional_whole("nasal_steroid_minutes_before", 1, _MAX_MINUTES),
        cited=fa.cited(),
    )
    fa.finish()

    dr = table.table("driving")
    driving = DrivingRule(rule=dr.text("rule"), cited=dr.cited())
    dr.finish()

    rems = None
    rt = table.optional_table("rems")
    if rt is not None:
        rems = RemsRule(
            form_due_days=rt.whole("form_due_days", 1, 365),
            applies_to=rt.text("applies_to", choices=("outpatient", "all")),
            cited=rt.cited(),
        )
        rt.finish()
    table.finish()
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


def _parse_protocol(table: _ProtocolTable) -> Protocol:
    protocol_id = table.text("id")
    name = table.text("name")
    drug = table.text("drug")
    route = table.text("route")
    status = table.text("regulatory_status", choices=("approved", "off-label"))
    experimental = table.flag("experimental", False)
    cited = table.cited()

    dt = table.table("dose")
    basis = cast(DoseBasis, dt.text("basis", choices=get_args(DoseBasis)))
    dose = DoseSpec(
        basis=basis,
        standard_mg_per_kg=dt.optional_number("standard_mg_per_kg", 0.01, 20),
        standard_mg=dt.optional_number("standard_mg", 1, 1000),
        infusion_minutes=dt.optional_whole("infusion_minutes", 1, _MAX_MINUTES),
        min_age_years=dt.optional_whole("min_age_years", 0, _MAX_AGE_YEARS),
        cited=dt.cited(),
    )
    if basis == "mg_per_kg" and dose.standard_mg is not None:
        raise dt.error("standard_mg given for a mg_per_kg protocol; use standard_mg_per_kg")
    if basis == "fixed_mg" and dose.standard_mg_per_kg is not None:
        raise dt.error("standard_mg_per_kg given for a fixed_mg protocol; use standard_mg")
    dt.finish()

    bt = table.table("dose_bounds")
    bounds = DoseBounds(
        min_mg_per_kg=bt.optional_number("min_mg_per_kg", 0.001, 50),
        max_mg_per_kg=bt.optional_number("max_mg_per_kg", 0.001, 50),
        min_mg=bt.optional_number("min_mg", 0.1, 5000),
        max_mg=bt.optional_number("max_mg", 0.1, 5000),
        cited=bt.cited(),
    )
    for unit in ("mg_per_kg", "mg"):
        low, high = getattr(bounds, f"min_{unit}"), getattr(bounds, f"max_{unit}")
        if (low is None) != (high is None):
            raise bt.error(f"give both min_{unit} and max_{unit}, or neither")
        if low is not None and low > high:
            raise bt.error(f"min_{unit} {low:g} is above max_{unit} {high:g}")
    if basis == "mg_per_kg" and bounds.min_mg_per_kg is None:
        raise bt.error("a mg_per_kg protocol needs min_mg_per_kg and max_mg_per_kg")
    if basis == "fixed_mg" and bounds.min_mg is None:
        raise bt.error("a fixed_mg protocol needs min_mg and max_mg")
    for label, standard, low, high in (
        ("standard_mg_per_kg", dose.standard_mg_per_kg, bounds.min_mg_per_kg, bounds.max_mg_per_kg),
        ("standard_mg", dose.standard_mg, bounds.min_mg, bounds.max_mg),
    ):
        if standard is not None and low is not None and high is not None and not low <= standard <= high:
            raise bt.error(f"dose {label} {standard:g} is outside the bounds {low:g}-{high:g}")
    bt.finish()

    device = None
    dv = table.optional_table("device")
    if dv is not None:
        device = DeviceSpec(
            mg_per_device=dv.whole("mg_per_device", 1, 1000),
            sprays_per_device=dv.whole("sprays_per_device", 1, 10),
            wait_between_devices_minutes=dv.whole("wait_between_devices_minutes", 0, 60),
            step_mg=dv.whole("step_mg", 1, 1000),
            never_first_dose_mg=dv.optional_whole("never_first_dose_mg", 1, 1000),
            cited=dv.cited(),
            max_increase_steps=dv.optional_whole("max_increase_steps", 1, 10),
        )
        dv.finish()

    first_doses = []
    for ft in table.tables("first_dose"):
        above, at_most = _age_band(ft)
        rule = FirstDoseRule(
            first_dose_mg=ft.whole("first_dose_mg", 1, 1000),
            later_doses_mg=ft.wholes("later_doses_mg", 1, 1000),
            cited=ft.cited(),
            age_above_years=above,
            age_at_most_years=at_most,
            population=ft.optional_text("population", choices=POPULATIONS),
        )
        ft.finish()
        for amount in (rule.first_dose_mg, *rule.later_doses_mg):
            low_mg, high_mg = bounds.min_mg, bounds.max_mg
            if low_mg is not None and high_mg is not None and not low_mg <= amount <= high_mg:
                raise ft.error(f"dose {amount} mg is outside the bounds {low_mg:g}-{high_mg:g} mg")
            if device is not None and amount % device.mg_per_device:
                raise ft.error(f"dose {amount} mg is not a multiple of {device.mg_per_device} mg devices")
        if device is not None and rule.first_dose_mg == device.never_first_dose_mg:
            raise ft.error(f"first_dose_mg {rule.first_dose_mg} is the never-first dose")
        first_doses.append(rule)

    presets: list[Preset] = []
    for pt in table.tables("preset"):
        preset = _parse_preset(pt)
        if any(p.id == preset.id for p in presets):
            raise table.error(f"duplicate preset id {preset.id!r}")
        presets.append(preset)
    if not presets:
        raise table.error("needs at least one [[protocol.preset]]")

    maintenance = None
    mt = table.optional_table("maintenance")
    if mt is not None:
        maintenance = Maintenance(
            interval_weeks=mt.wholes("interval_weeks", 1, 52),
            first_week=mt.optional_whole("first_week", 2, _MAX_WEEKS),
            cited=mt.cited(),
        )
        mt.finish()
        for preset in presets:
            last = max((ph.last_week for ph in preset.phases), default=0)
            if maintenance.first_week is not None and maintenance.first_week <= last:
                raise mt.error(
                    f"first_week {maintenance.first_week} overlaps preset {preset.id!r}, which runs to week {last}"
                )

    rv = table.table("review")
    review = rv.cited()
    rv.finish()

    frequency = None
    fq = table.optional_table("frequency")
    if fq is not None:
        frequency = FrequencyLimit(
            max_sessions_per_7_days=fq.whole("max_sessions_per_7_days", 1, 7), cited=fq.cited()
        )
        fq.finish()
        for preset in presets:
            too_many = [
                ph for ph in preset.phases if ph.sessions_per_week > frequency.max_sessions_per_7_days
            ]
            if too_many:
                raise fq.error(
                    f"preset {preset.id!r} has {too_many[0].sessions_per_week} sessions a week, above "
                    f"max_sessions_per_7_days {frequency.max_sessions_per_7_days}"
                )

    hepatic = None
    hp = table.optional_table("hepatic_impairment")
    if hp is not None:
        hepatic = HepaticRule(
            moderate=hp.text("moderate", choices=HEPATIC_ACTIONS),
            severe=hp.text("severe", choices=HEPATIC_ACTIONS),
            cited=hp.cited(),
        )
        hp.finish()

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
        ot.finish()
    codes = [o.code for o in outcomes]
    if len(set(codes)) != len(codes):
        raise table.error("duplicate outcome code")
    table.finish()
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
        frequency=frequency,
        hepatic=hepatic,
    )


def _parse_preset(table: _ProtocolTable) -> Preset:
    preset_id = table.text("id")
    name = table.text("name")
    custom = table.flag("custom", False)
    max_sessions = table.optional_whole("max_sessions", 1, _MAX_SESSIONS)
    weekdays = table.weekdays("default_weekdays")
    cited = table.cited()
    phases: list[Phase] = []
    for ph in table.tables("phase"):
        first = ph.whole("first_week", 1, _MAX_WEEKS)
        last = ph.whole("last_week", 1, _MAX_WEEKS)
        if last < first:
            raise ph.error(f"last_week {last} is before first_week {first}")
        phase = Phase(
            name=ph.text("name", choices=PHASES),
            first_week=first,
            last_week=last,
            sessions_per_week=ph.whole("sessions_per_week", 1, 7),
            cited=ph.cited(),
        )
        ph.finish()
        expected_first = phases[-1].last_week + 1 if phases else 1
        if phase.first_week != expected_first:
            raise ph.error(
                f"first_week {phase.first_week} should be {expected_first} (phases are contiguous)"
            )
        phases.append(phase)
    table.finish()
    if custom:
        if phases or weekdays:
            raise table.error("a custom preset takes no phases and no default_weekdays")
        if max_sessions is None:
            raise table.error("a custom preset needs max_sessions")
    else:
        if not phases:
            raise table.error("needs at least one [[protocol.preset.phase]] (or custom = true)")
        if phases[0].name != "induction":
            raise table.error("the first phase must be 'induction'")
        if max_sessions is not None:
            raise table.error("max_sessions is only for custom presets")
        most = max(ph.sessions_per_week for ph in phases)
        if len(weekdays) != most:
            raise table.error(
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
