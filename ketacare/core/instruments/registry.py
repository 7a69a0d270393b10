"""Load the packaged instrument definitions (one TOML file per instrument) and look them up by id.

Definitions are read once, on first use, from ``ketacare/core/instruments/data/<id>.toml`` and
checked for internal consistency (declared score range equals the reachable range, bands
partition it, alerts and subscales name real items, every rule cites a source). A broken data
file therefore fails loudly at the first lookup and in the test suite, never silently at
scoring time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, cast, get_args

from .model import (
    ALERT_LEVELS,
    Aggregate,
    AlertLevel,
    AlertRule,
    Band,
    CompletedBy,
    Instrument,
    InstrumentDefinitionError,
    Item,
    Number,
    Option,
    ScoringRule,
    Subscale,
    UnknownInstrumentError,
)

_DATA_PACKAGE = "ketacare.core.instruments.data"

# Keys each table may hold: a misspelt key (say ``reponse_min_drop_fraction``) must fail loudly
# rather than silently drop a rule.
_TOP_KEYS = {
    "id", "version", "title", "completed_by", "recall_period", "instructions", "citation", "copyright",
    "scoring", "min_score", "max_score", "higher_is_worse", "loinc_total", "sources", "band_sources",
    "total_subscale", "answer_one_of", "option_sets", "items", "subscales", "bands", "alerts", "change",
}  # fmt: skip
_TABLE_KEYS = {
    "items": {"id", "text", "options", "loinc", "required"},
    "subscales": {"id", "title", "aggregate", "items"},
    "bands": {"label", "low", "high"},
    "alerts": {"item", "min_value", "max_value", "code", "level", "message", "sources"},
}
_CHANGE_KEYS = {
    f"{rule}_{suffix}"
    for rule, suffixes in {
        "response": ("min_drop_fraction", "min_drop_points", "sources"),
        "partial": ("min_drop_fraction", "min_drop_points", "sources"),
        "remission": ("max_score", "sources"),
        "worsening": ("min_rise_points", "sources"),
    }.items()
    for suffix in suffixes
}


def get_instrument(instrument_id: str) -> Instrument:
    """The instrument with this stable id (e.g. ``"phq9"``).

    Raises ``UnknownInstrumentError`` naming the id and listing the allowed ids.
    """
    registry = _registry()
    try:
        return registry[instrument_id]
    except (KeyError, TypeError):
        raise UnknownInstrumentError(
            f"unknown instrument id {instrument_id!r}; allowed ids are {', '.join(registry)}"
        ) from None


def instruments() -> tuple[Instrument, ...]:
    """Every packaged instrument, ordered by id."""
    return tuple(_registry().values())


@cache
def _registry() -> dict[str, Instrument]:
    """Parse and check every data file once; keyed by instrument id in sorted order."""
    found: dict[str, Instrument] = {}
    data_dir = resources.files(_DATA_PACKAGE)
    for entry in sorted(data_dir.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        stem = entry.name.removesuffix(".toml")
        raw = tomllib.loads(entry.read_text(encoding="utf-8"))
        instrument = _parse(raw, where=entry.name)
        if instrument.id != stem:
            raise InstrumentDefinitionError(f"{entry.name}: id {instrument.id!r} must match the file name")
        found[instrument.id] = instrument
    return found


# --- parsing -----------------------------------------------------------------------------------


def _parse(raw: Mapping[str, Any], *, where: str) -> Instrument:
    """Build one ``Instrument`` from a parsed TOML table and check it."""

    def fail(message: str) -> InstrumentDefinitionError:
        return InstrumentDefinitionError(f"{where}: {message}")

    _only(raw, _TOP_KEYS, where)
    for key, allowed in _TABLE_KEYS.items():
        for table in raw.get(key, []):
            _only(table, allowed, f"{where} [[{key}]]")
    _only(raw.get("change", {}), _CHANGE_KEYS, f"{where} [change]")
    for name, table in raw.get("option_sets", {}).items():
        _only(table, {"system", "options", "min", "max", "anchors"}, f"{where} option_sets.{name}")

    instrument_id = _text(raw, "id", where)
    completed_by = _text(raw, "completed_by", where)
    if completed_by not in get_args(CompletedBy):
        raise fail(f"completed_by {completed_by!r} must be one of {get_args(CompletedBy)}")
    scoring = _text(raw, "scoring", where)
    if scoring not in get_args(ScoringRule):
        raise fail(f"scoring {scoring!r} must be one of {get_args(ScoringRule)}")

    option_sets = {
        name: _parse_option_set(table, where=f"{where} option_sets.{name}")
        for name, table in _table(raw, "option_sets", where).items()
    }
    items = tuple(_parse_item(table, option_sets, where=where) for table in _list(raw, "items", where))
    item_ids = [item.id for item in items]
    if len(set(item_ids)) != len(item_ids):
        raise fail("item ids must be unique")
    for item_id in item_ids:
        if not item_id.startswith(f"{instrument_id}."):
            raise fail(f"item id {item_id!r} must start with {instrument_id + '.'!r}")
    by_id = {item.id: item for item in items}

    subscales = tuple(
        Subscale(
            id=_text(table, "id", where),
            title=_text(table, "title", where),
            items=tuple(_known_items(table["items"], by_id, where)),
            aggregate=cast(Aggregate, _choice(table, "aggregate", get_args(Aggregate), where)),
        )
        for table in raw.get("subscales", [])
    )
    alert_rules = tuple(_parse_alert(table, by_id, where=where) for table in raw.get("alerts", []))
    answer_one_of = tuple(tuple(_known_items(group, by_id, where)) for group in raw.get("answer_one_of", []))
    bands = tuple(
        Band(label=_text(table, "label", where), low=table["low"], high=table["high"])
        for table in raw.get("bands", [])
    )
    change = _table(raw, "change", where, required=False)

    def sources_of(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        values = table.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise fail(f"{key} must be a list of source ids")
        return tuple(values)

    top_sources = sources_of(raw, "sources")
    band_sources = sources_of(raw, "band_sources")
    rule_sources = {
        rule: sources_of(change, f"{rule}_sources")
        for rule in ("response", "partial", "remission", "worsening")
    }
    all_sources = _unique(
        [
            *top_sources,
            *band_sources,
            *(s for rule in alert_rules for s in rule.sources),
            *(s for group in rule_sources.values() for s in group),
        ]
    )

    instrument = Instrument(
        id=instrument_id,
        version=_text(raw, "version", where),
        title=_text(raw, "title", where),
        completed_by=cast(CompletedBy, completed_by),
        recall_period=raw.get("recall_period"),
        instructions=raw.get("instructions"),
        citation=_text(raw, "citation", where),
        copyright=_text(raw, "copyright", where),
        items=items,
        scoring=cast(ScoringRule, scoring),
        min_score=raw["min_score"],
        max_score=raw["max_score"],
        bands=bands,
        band_sources=band_sources,
        loinc_total=raw.get("loinc_total"),
        higher_is_worse=bool(raw["higher_is_worse"]),
        sources=all_sources,
        subscales=subscales,
        total_subscale=raw.get("total_subscale"),
        alert_rules=alert_rules,
        answer_one_of=answer_one_of,
        response_min_drop_fraction=change.get("response_min_drop_fraction"),
        response_min_drop_points=change.get("response_min_drop_points"),
        response_sources=rule_sources["response"],
        partial_min_drop_fraction=change.get("partial_min_drop_fraction"),
        partial_min_drop_points=change.get("partial_min_drop_points"),
        partial_sources=rule_sources["partial"],
        remission_max_score=change.get("remission_max_score"),
        remission_sources=rule_sources["remission"],
        worsening_min_rise_points=change.get("worsening_min_rise_points"),
        worsening_sources=rule_sources["worsening"],
    )
    _check(instrument, top_sources=top_sources, fail=fail)
    return instrument


def _parse_option_set(table: Mapping[str, Any], *, where: str) -> tuple[str | None, tuple[Option, ...]]:
    """An answer list, either spelled out (``options``) or a numeric range with labelled anchors."""
    system = table.get("system")
    if "options" in table:
        options = tuple(
            Option(value=_integer(o, "value", where), label=_text(o, "label", where), code=o.get("code"))
            for o in table["options"]
        )
    else:
        # Numeric rating scales (0-10 NRS, MADRS 0-6): only the end points (and a few steps) carry
        # words; the other values are labelled with their number.
        anchors = {int(key): str(text) for key, text in _table(table, "anchors", where).items()}
        low, high = _integer(table, "min", where), _integer(table, "max", where)
        options = tuple(Option(value=v, label=anchors.get(v, str(v))) for v in range(low, high + 1))
    values = [o.value for o in options]
    if not options or len(set(values)) != len(values):
        raise InstrumentDefinitionError(f"{where}: option values must be present and unique")
    if any(o.code is not None for o in options) and system is None:
        raise InstrumentDefinitionError(f"{where}: option codes need a code system")
    return system, options


def _parse_item(
    table: Mapping[str, Any],
    option_sets: Mapping[str, tuple[str | None, tuple[Option, ...]]],
    *,
    where: str,
) -> Item:
    """One item; its ``options`` names an entry of ``option_sets``."""
    set_name = _text(table, "options", where)
    if set_name not in option_sets:
        raise InstrumentDefinitionError(
            f"{where}: item {table.get('id')!r} uses unknown option set {set_name!r}"
        )
    system, options = option_sets[set_name]
    return Item(
        id=_text(table, "id", where),
        text=_text(table, "text", where),
        options=options,
        option_set=set_name,
        answer_system=system,
        loinc=table.get("loinc"),
        required=bool(table.get("required", True)),
    )


def _parse_alert(table: Mapping[str, Any], by_id: Mapping[str, Item], *, where: str) -> AlertRule:
    """One item alert rule; ``max_value`` defaults to the item's highest option."""
    (item_id,) = _known_items([table["item"]], by_id, where)
    allowed = by_id[item_id].allowed_values
    level = table.get("level")
    if level is not None and level not in ALERT_LEVELS:
        raise InstrumentDefinitionError(f"{where}: alert level {level!r} must be one of {ALERT_LEVELS}")
    sources = table.get("sources", [])
    if not sources:
        raise InstrumentDefinitionError(f"{where}: alert on {item_id} must cite its sources")
    return AlertRule(
        item_id=item_id,
        min_value=int(table.get("min_value", min(allowed))),
        max_value=int(table.get("max_value", max(allowed))),
        code=_text(table, "code", where),
        message=_text(table, "message", where),
        level=cast(AlertLevel | None, level),
        sources=tuple(sources),
    )


# --- consistency checks ------------------------------------------------------------------------


def score_range(instrument: Instrument) -> tuple[Number, Number]:
    """The lowest and highest total the scoring rule can produce from the item options."""
    lows = {item.id: min(item.allowed_values) for item in instrument.items}
    highs = {item.id: max(item.allowed_values) for item in instrument.items}

    def subscale_range(subscale: Subscale) -> tuple[Number, Number]:
        lo = [lows[i] for i in subscale.items]
        hi = [highs[i] for i in subscale.items]
        if subscale.aggregate == "sum":
            return sum(lo), sum(hi)
        if subscale.aggregate == "mean":
            return sum(lo) / len(lo), sum(hi) / len(hi)
        return max(lo), max(hi)

    if instrument.scoring == "sum_items":
        return sum(lows.values()), sum(highs.values())
    if instrument.scoring == "sum_subscales":
        ranges = [subscale_range(s) for s in instrument.subscales]
        return sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if instrument.scoring == "subscale":
        (total,) = (s for s in instrument.subscales if s.id == instrument.total_subscale)
        return subscale_range(total)
    levels = [ALERT_LEVELS.index(rule.level) + 1 for rule in instrument.alert_rules if rule.level]
    return 0, max(levels, default=0)


def integer_totals(instrument: Instrument) -> bool:
    """Whether every total is a whole number (false only where the total is a mean)."""
    if instrument.scoring == "subscale":
        return all(s.aggregate != "mean" for s in instrument.subscales if s.id == instrument.total_subscale)
    if instrument.scoring == "sum_subscales":
        return all(s.aggregate != "mean" for s in instrument.subscales)
    return True


_Fail = Callable[[str], InstrumentDefinitionError]


def _check(instrument: Instrument, *, top_sources: tuple[str, ...], fail: _Fail) -> None:
    """Raise ``InstrumentDefinitionError`` (through ``fail``) on any inconsistency in the data."""
    if not top_sources:
        raise fail("an instrument must cite at least one source")
    if (instrument.min_score, instrument.max_score) != score_range(instrument):
        raise fail(
            f"declared range {instrument.min_score}-{instrument.max_score} differs from the "
            f"reachable range {score_range(instrument)}"
        )

    if instrument.scoring == "sum_subscales":
        covered = sorted(i for s in instrument.subscales for i in s.items)
        if covered != sorted(instrument.item_ids):
            raise fail("sum_subscales needs subscales that cover every item exactly once")
    if instrument.scoring == "subscale" and instrument.total_subscale not in {
        s.id for s in instrument.subscales
    }:
        raise fail(f"total_subscale {instrument.total_subscale!r} is not a subscale")
    if instrument.scoring == "max_alert_level" and any(r.level is None for r in instrument.alert_rules):
        raise fail("max_alert_level needs a level on every alert rule")
    for rule in instrument.alert_rules:
        allowed = instrument.items_by_id[rule.item_id].allowed_values
        if not (rule.min_value <= rule.max_value and rule.min_value in allowed and rule.max_value in allowed):
            raise fail(f"alert on {rule.item_id}: {rule.min_value}-{rule.max_value} is not within {allowed}")

    optional = {item.id for item in instrument.items if not item.required}
    in_groups = {i for group in instrument.answer_one_of for i in group}
    if optional != in_groups:
        raise fail("optional items must be exactly the items listed in answer_one_of")

    if instrument.bands:
        if not integer_totals(instrument):
            raise fail("bands need whole-number totals; this instrument's total is a mean")
        _check_bands_partition(instrument, fail)
    if instrument.bands and not instrument.band_sources:
        raise fail("bands must cite band_sources")

    _check_change_rules(instrument, fail)


def _check_bands_partition(instrument: Instrument, fail: _Fail) -> None:
    """Bands must run from min_score to max_score in order, with no gap and no overlap."""
    bands = instrument.bands
    if bands[0].low != instrument.min_score or bands[-1].high != instrument.max_score:
        raise fail("bands must start at min_score and end at max_score")
    for band in bands:
        if band.low > band.high:
            raise fail(f"band {band.label!r} has low > high")
    for before, after in zip(bands, bands[1:], strict=False):
        if after.low != before.high + 1:
            raise fail(f"bands {before.label!r} and {after.label!r} leave a gap or overlap")


def _check_change_rules(instrument: Instrument, fail: _Fail) -> None:
    """Each change rule is a fraction or a point count (not both), cites sources and is ordered."""
    rules = {
        "response": (instrument.response_min_drop_fraction, instrument.response_min_drop_points),
        "partial": (instrument.partial_min_drop_fraction, instrument.partial_min_drop_points),
        "remission": (instrument.remission_max_score, None),
        "worsening": (instrument.worsening_min_rise_points, None),
    }
    for name, (first, second) in rules.items():
        present = first is not None or second is not None
        if first is not None and second is not None:
            raise fail(f"{name}: give a fraction or points, not both")
        if present != bool(getattr(instrument, f"{name}_sources")):
            raise fail(f"{name}: a rule and its sources come together")
    for fraction in (instrument.response_min_drop_fraction, instrument.partial_min_drop_fraction):
        if fraction is not None and not 0 < fraction <= 1:
            raise fail(f"drop fraction {fraction} must be in (0, 1]")
    if instrument.has_change_rules and instrument.worsening_min_rise_points is None:
        raise fail("an instrument with a response rule also needs a worsening rule")
    if not instrument.has_change_rules and any(v is not None for pair in rules.values() for v in pair):
        raise fail("change rules need a response rule")
    if instrument.remission_max_score is not None and not instrument.higher_is_worse:
        raise fail("remission_max_score applies only where a higher score is worse")
    for partial, response in (
        (instrument.partial_min_drop_fraction, instrument.response_min_drop_fraction),
        (instrument.partial_min_drop_points, instrument.response_min_drop_points),
    ):
        if partial is not None and (response is None or not partial < response):
            raise fail(
                "partial response needs a larger response threshold of the same kind (fraction or points)"
            )


# --- small typed readers -----------------------------------------------------------------------


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InstrumentDefinitionError(
            f"{where}: unknown keys {unknown}; allowed keys are {sorted(allowed)}"
        )


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise InstrumentDefinitionError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _integer(table: Mapping[str, Any], key: str, where: str) -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InstrumentDefinitionError(f"{where}: {key!r} must be an integer, got {value!r}")
    return value


def _choice(table: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = _text(table, key, where)
    if value not in allowed:
        raise InstrumentDefinitionError(f"{where}: {key} {value!r} must be one of {allowed}")
    return value


def _table(table: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Mapping[str, Any]:
    value = table.get(key, None if required else {})
    if not isinstance(value, dict):
        raise InstrumentDefinitionError(f"{where}: [{key}] must be a table")
    return value


def _list(table: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key)
    if not isinstance(value, list) or not value:
        raise InstrumentDefinitionError(f"{where}: {key!r} must be a non-empty list")
    return value


def _known_items(ids: Iterable[str], by_id: Mapping[str, Item], where: str) -> list[str]:
    found = list(ids)
    for item_id in found:
        if item_id not in by_id:
            raise InstrumentDefinitionError(f"{where}: unknown item id {item_id!r}")
    return found


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
