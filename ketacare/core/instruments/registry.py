"""Load the packaged instrument definitions (one TOML file per instrument) and look them up by id.

Definitions are read once, on first use, from ``ketacare/core/instruments/data/<id>.toml`` and
checked for internal consistency (declared score range equals the reachable range, bands
partition it, alerts and subscales name real items, every rule cites a source). A broken data
file therefore fails loudly at the first lookup and in the test suite, never silently at
scoring time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, cast, get_args

from ketacare.core.tomlload import TomlTable, read_toml

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
        raw = read_toml(entry.name, data_dir, InstrumentDefinitionError)
        instrument = _parse(raw, where=entry.name)
        if instrument.id != stem:
            raise InstrumentDefinitionError(f"{entry.name}: id {instrument.id!r} must match the file name")
        found[instrument.id] = instrument
    return found


# --- parsing -----------------------------------------------------------------------------------


class _Definition(TomlTable):
    """One table of an instrument file; every error is an InstrumentDefinitionError naming the file."""

    error_type = InstrumentDefinitionError

    def item_ids(self, key: str, by_id: Mapping[str, Item]) -> tuple[str, ...]:
        """The list of item ids ``key``, each naming an item of the instrument."""
        return _known_items(self, self.texts(key), by_id)


def _parse(raw: Mapping[str, Any], *, where: str) -> Instrument:
    """Build one ``Instrument`` from a parsed TOML table (of the file ``where``) and check it."""
    root = _Definition(dict(raw), file=where)
    # Every key is checked before any value is read: a misspelt key would otherwise surface as a
    # confusing rule error (a response rule without its threshold) instead of as a typo.
    root.only(_TOP_KEYS)
    arrays = {key: root.tables(key) for key in _TABLE_KEYS}
    for key, allowed in _TABLE_KEYS.items():
        for table in arrays[key]:
            table.only(allowed)
    change = root.optional_table("change")
    if change is not None:
        change.only(_CHANGE_KEYS)
    option_set_tables = root.table("option_sets")
    named_sets = {
        name: option_set_tables.nested(option_set_tables.value(name), f"option_sets.{name}")
        for name in option_set_tables.data
    }
    for table in named_sets.values():
        table.only({"system", "options", "min", "max", "anchors"})

    instrument_id = root.text("id")
    completed_by = root.text("completed_by", choices=get_args(CompletedBy))
    scoring = root.text("scoring", choices=get_args(ScoringRule))

    option_sets = {name: _parse_option_set(table) for name, table in named_sets.items()}
    items = tuple(_parse_item(table, option_sets) for table in root.tables("items", required=True))
    item_ids = [item.id for item in items]
    if len(set(item_ids)) != len(item_ids):
        raise root.error("item ids must be unique")
    for item_id in item_ids:
        if not item_id.startswith(f"{instrument_id}."):
            raise root.error(f"item id {item_id!r} must start with {instrument_id + '.'!r}")
    by_id = {item.id: item for item in items}

    subscales = tuple(
        Subscale(
            id=table.text("id"),
            title=table.text("title"),
            items=table.item_ids("items", by_id),
            aggregate=cast(Aggregate, table.text("aggregate", choices=get_args(Aggregate))),
        )
        for table in arrays["subscales"]
    )
    alert_rules = tuple(_parse_alert(table, by_id) for table in arrays["alerts"])
    answer_one_of = tuple(
        _known_items(root, group, by_id) for group in root.value("answer_one_of", required=False) or []
    )
    bands = tuple(
        Band(label=table.text("label"), low=table.value("low"), high=table.value("high"))
        for table in arrays["bands"]
    )

    top_sources = root.texts("sources", required=False, empty=True)
    band_sources = root.texts("band_sources", required=False, empty=True)
    rule_sources = {
        rule: change.texts(f"{rule}_sources", required=False, empty=True) if change is not None else ()
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

    def change_value(key: str) -> Any:
        return None if change is None else change.value(key, required=False)

    instrument = Instrument(
        id=instrument_id,
        version=root.text("version"),
        title=root.text("title"),
        completed_by=cast(CompletedBy, completed_by),
        recall_period=root.optional_text("recall_period"),
        instructions=root.optional_text("instructions"),
        citation=root.text("citation"),
        copyright=root.text("copyright"),
        items=items,
        scoring=cast(ScoringRule, scoring),
        min_score=root.value("min_score"),
        max_score=root.value("max_score"),
        bands=bands,
        band_sources=band_sources,
        loinc_total=root.optional_text("loinc_total"),
        higher_is_worse=root.flag("higher_is_worse"),
        sources=all_sources,
        subscales=subscales,
        total_subscale=root.optional_text("total_subscale"),
        alert_rules=alert_rules,
        answer_one_of=answer_one_of,
        response_min_drop_fraction=change_value("response_min_drop_fraction"),
        response_min_drop_points=change_value("response_min_drop_points"),
        response_sources=rule_sources["response"],
        partial_min_drop_fraction=change_value("partial_min_drop_fraction"),
        partial_min_drop_points=change_value("partial_min_drop_points"),
        partial_sources=rule_sources["partial"],
        remission_max_score=change_value("remission_max_score"),
        remission_sources=rule_sources["remission"],
        worsening_min_rise_points=change_value("worsening_min_rise_points"),
        worsening_sources=rule_sources["worsening"],
    )
    _check(instrument, top_sources=top_sources, fail=root.error)
    return instrument


def _parse_option_set(table: _Definition) -> tuple[str | None, tuple[Option, ...]]:
    """An answer list, either spelled out (``options``) or a numeric range with labelled anchors."""
    system = table.optional_text("system")
    if table.has("options"):
        options = tuple(
            Option(value=option.whole("value"), label=option.text("label"), code=option.optional_text("code"))
            for option in table.tables("options", required=True)
        )
    else:
        # Numeric rating scales (0-10 NRS, MADRS 0-6): only the end points (and a few steps) carry
        # words; the other values are labelled with their number.
        anchors = {int(key): str(text) for key, text in table.table("anchors").data.items()}
        low, high = table.whole("min"), table.whole("max")
        options = tuple(Option(value=v, label=anchors.get(v, str(v))) for v in range(low, high + 1))
    values = [o.value for o in options]
    if not options or len(set(values)) != len(values):
        raise table.error("option values must be present and unique")
    if any(o.code is not None for o in options) and system is None:
        raise table.error("option codes need a code system")
    return system, options


def _parse_item(table: _Definition, option_sets: Mapping[str, tuple[str | None, tuple[Option, ...]]]) -> Item:
    """One item; its ``options`` names an entry of ``option_sets``."""
    set_name = table.text("options", choices=option_sets)
    system, options = option_sets[set_name]
    return Item(
        id=table.text("id"),
        text=table.text("text"),
        options=options,
        option_set=set_name,
        answer_system=system,
        loinc=table.optional_text("loinc"),
        required=table.flag("required", True),
    )


def _parse_alert(table: _Definition, by_id: Mapping[str, Item]) -> AlertRule:
    """One item alert rule; ``max_value`` defaults to the item's highest option."""
    (item_id,) = _known_items(table, [table.text("item")], by_id)
    allowed = by_id[item_id].allowed_values
    level = table.optional_text("level", choices=ALERT_LEVELS)
    sources = table.texts("sources", required=False, empty=True)
    if not sources:
        raise table.error(f"alert on {item_id} must cite its sources")
    min_value = table.optional_whole("min_value")
    max_value = table.optional_whole("max_value")
    return AlertRule(
        item_id=item_id,
        min_value=min(allowed) if min_value is None else min_value,
        max_value=max(allowed) if max_value is None else max_value,
        code=table.text("code"),
        message=table.text("message"),
        level=cast(AlertLevel | None, level),
        sources=sources,
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


_Fail = Callable[[str], Exception]


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


# --- small helpers ------------------------------------------------------------------------------


def _known_items(table: TomlTable, ids: Iterable[str], by_id: Mapping[str, Item]) -> tuple[str, ...]:
    found = tuple(ids)
    for item_id in found:
        if item_id not in by_id:
            raise table.error(f"unknown item id {item_id!r}")
    return found


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
