"""Read and validate the knowledge TOML files into frozen dataclasses.

The packaged files are read once (:func:`knowledge`, cached); :func:`load_knowledge` reads another
directory, so tests can feed broken copies. Every problem raises :class:`KnowledgeError` naming the
file and the entry id: an unknown source id, a negative or inverted window, a missing route, a
duplicate id, an unknown field, evidence that contradicts its sources.
"""

from __future__ import annotations

import difflib
import functools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast, get_args

from ketacare.core.knowledge.model import (
    CLINIC_PRACTICE,
    RED_FLAG_LEVELS,
    ROUTES,
    AftercarePhase,
    Audience,
    Condition,
    ConditionLevel,
    Course,
    EducationEntry,
    Evidence,
    GuidanceItem,
    GuidanceKind,
    Interaction,
    InteractionLevel,
    KnowledgeError,
    Level,
    Persistence,
    RedFlag,
    SideEffect,
    Source,
    Window,
)

AFTERCARE_PHASES = ("in_clinic", "first_hours", "rest_of_day", "24_72h", "following_weeks")
EDUCATION_TOPICS = (
    "session",
    "how_it_works",
    "success",
    "maintenance",
    "risks",
    "preparation",
    "aftercare",
    "faq",
)

# Sanity ceiling for the data files (not a clinical limit): catches a typo such as 14400 for 1440.
_MAX_MINUTES = 7 * 24 * 60


def packaged_data_dir() -> Traversable:
    """The directory of the packaged knowledge files."""
    return resources.files("ketacare.core.knowledge").joinpath("data")


def read_data_file(name: str, data_dir: Traversable | Path | None = None) -> dict[str, Any]:
    """Parse one TOML file from ``data_dir`` (default: the packaged data); KnowledgeError if unreadable."""
    directory = packaged_data_dir() if data_dir is None else data_dir
    try:
        text = directory.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{name}: file not found in {directory}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{name}: invalid TOML: {exc}") from None


# --------------------------------------------------------------------------------------------------------
# The loaded knowledge base
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything in the knowledge files, validated, with lookups by id."""

    sources: Mapping[str, Source]
    side_effects: Mapping[str, SideEffect]
    persistence: Persistence
    red_flags: Mapping[str, RedFlag]
    conditions: Mapping[str, Condition]
    interactions: Mapping[str, Interaction]
    aftercare: tuple[AftercarePhase, ...]
    education: Mapping[str, EducationEntry]


@functools.cache
def knowledge() -> Knowledge:
    """The packaged knowledge base, loaded and validated once per process."""
    return load_knowledge()


def load_knowledge(data_dir: Traversable | Path | None = None) -> Knowledge:
    """Load and validate every knowledge file in ``data_dir`` (default: the packaged data).

    Raises KnowledgeError naming the file and the entry on the first problem found.
    """
    sources = parse_sources(read_data_file("sources.toml", data_dir))
    red_flags = parse_red_flags(read_data_file("red_flags.toml", data_dir), sources)
    side_effects, persistence = parse_side_effects(read_data_file("side_effects.toml", data_dir), sources)
    for effect in side_effects.values():
        if effect.id in red_flags:
            raise KnowledgeError(
                f"side_effects.toml: entry {effect.id!r}: id is also a red flag in red_flags.toml; "
                "a symptom id must name exactly one entry"
            )
        if effect.past_window_red_flag is not None and effect.past_window_red_flag not in red_flags:
            raise KnowledgeError(
                f"side_effects.toml: entry {effect.id!r}: past_window_red_flag "
                f"{effect.past_window_red_flag!r} is not a red flag in red_flags.toml"
                f"{_suggest(effect.past_window_red_flag, red_flags)}"
            )
    conditions, interactions = parse_screening(read_data_file("screening.toml", data_dir), sources)
    return Knowledge(
        sources=sources,
        side_effects=side_effects,
        persistence=persistence,
        red_flags=red_flags,
        conditions=conditions,
        interactions=interactions,
        aftercare=parse_aftercare(read_data_file("aftercare.toml", data_dir), sources),
        education=parse_education(read_data_file("education.toml", data_dir), sources),
    )


# --------------------------------------------------------------------------------------------------------
# Field access with errors that name the file and the entry
# --------------------------------------------------------------------------------------------------------


class _Entry:
    """One TOML table being read; every error names the file and the entry id."""

    def __init__(self, table: Any, file: str, where: str) -> None:
        if not isinstance(table, dict):
            raise KnowledgeError(f"{file}: {where}: expected a table, got {type(table).__name__}")
        self.table: dict[str, Any] = table
        self.file = file
        self.where = where
        self.used: set[str] = set()

    def error(self, problem: str) -> KnowledgeError:
        return KnowledgeError(f"{self.file}: {self.where}: {problem}")

    def raw(self, key: str, *, required: bool = True) -> Any:
        """The value of ``key`` unchecked (for nested tables parsed by the caller)."""
        return self._get(key, required=required)

    def _get(self, key: str, *, required: bool) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.error(f"missing field {key!r}")
            return None
        return self.table[key]

    def text(self, key: str, *, required: bool = True, choices: Iterable[str] | None = None) -> str:
        value = self._get(key, required=required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"field {key!r} must be a non-empty string, got {value!r}")
        if choices is not None and value not in (allowed := tuple(choices)):
            raise self.error(f"field {key!r} is {value!r}; allowed: {', '.join(allowed)}")
        return value

    def optional_text(self, key: str) -> str | None:
        return self.text(key, required=False) or None

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, required=required)
        if value is None:
            return ()
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise self.error(f"field {key!r} must be a non-empty list of non-empty strings, got {value!r}")
        if len(set(value)) != len(value):
            duplicates = sorted({v for v in value if value.count(v) > 1})
            raise self.error(f"field {key!r} lists {', '.join(map(repr, duplicates))} more than once")
        return tuple(value)

    def minutes(self, key: str) -> float:
        value = self._get(key, required=True)
        # bool is an int subclass: reject it explicitly so `true` is not read as 1 minute.
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(f"field {key!r} must be a number of minutes, got {value!r}")
        if not 0 <= value <= _MAX_MINUTES:
            raise self.error(f"field {key!r} is {value!r} min; allowed range 0 to {_MAX_MINUTES} min")
        return float(value)

    def boolean(self, key: str) -> bool:
        value = self._get(key, required=True)
        if not isinstance(value, bool):
            raise self.error(f"field {key!r} must be true or false, got {value!r}")
        return value

    def year(self, key: str) -> int | None:
        value = self._get(key, required=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
            raise self.error(f"field {key!r} must be a year between 1900 and 2100, got {value!r}")
        return value

    def evidence(self, key: str = "evidence") -> Evidence:
        value = self.text(key)
        try:
            return Evidence(value.lower())
        except ValueError:
            raise self.error(
                f"field {key!r} is {value!r}; allowed: {', '.join(e.value for e in Evidence)}"
            ) from None

    def subtable(self, key: str) -> dict[str, Any]:
        value = self._get(key, required=True)
        if not isinstance(value, dict):
            raise self.error(f"field {key!r} must be a table")
        return value

    def finish(self) -> None:
        """Reject fields nobody read: almost always a typo (``onsett_min``)."""
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.error(
                f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(self.used))}"
            )


def _entries(data: Mapping[str, Any], key: str, file: str, *, within: str = "") -> list[tuple[str, _Entry]]:
    """The ``[[key]]`` tables of a file as (id, entry), refusing a missing, empty or duplicate id.

    ``within`` prefixes the location in messages (e.g. "phase 'in_clinic', ") for nested tables.
    """
    tables = data.get(key)
    if not isinstance(tables, list) or not tables:
        raise KnowledgeError(f"{file}: {within}expected at least one [[{key}]] table")
    seen: set[str] = set()
    out = []
    for index, table in enumerate(tables, start=1):
        entry = _Entry(table, file, f"{within}{key} #{index}")
        entry_id = entry.text("id")
        entry.where = f"{within}entry {entry_id!r}"
        if entry_id in seen:
            raise entry.error("duplicate id")
        seen.add(entry_id)
        out.append((entry_id, entry))
    return out


def _reject_unknown_top_level(data: Mapping[str, Any], file: str, allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise KnowledgeError(f"{file}: unknown top-level key(s) {', '.join(map(repr, unknown))}")


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def check_source_ids(
    ids: Iterable[str],
    *,
    sources: Mapping[str, Source],
    evidence: Evidence | None,
    file: str,
    where: str,
) -> tuple[str, ...]:
    """Check that cited ``ids`` resolve and agree with ``evidence``; return them as a tuple.

    Rules: every id is in ``sources``; citing "clinic-practice" forces evidence "practice"; evidence
    "practice" must cite at least one practice-level source (a clinic page, PatientEd or
    "clinic-practice"), so a practice claim is never dressed up with only trial citations.
    """
    cited = tuple(ids)
    if not cited:
        raise KnowledgeError(f"{file}: {where}: cites no source")
    for source_id in cited:
        if source_id not in sources:
            raise KnowledgeError(
                f"{file}: {where}: unknown source id {source_id!r}{_suggest(source_id, sources)}; "
                "every id must be in sources.toml"
            )
    if evidence is None:
        return cited
    if CLINIC_PRACTICE in cited and evidence is not Evidence.PRACTICE:
        raise KnowledgeError(
            f"{file}: {where}: cites {CLINIC_PRACTICE!r} but evidence is {evidence.value!r}; "
            "a clinic-practice value must carry evidence 'practice'"
        )
    if evidence is Evidence.PRACTICE and not any(sources[s].evidence is Evidence.PRACTICE for s in cited):
        raise KnowledgeError(
            f"{file}: {where}: evidence is 'practice' but no cited source is practice-level; "
            f"cite {CLINIC_PRACTICE!r} or the clinic source"
        )
    return cited


# --------------------------------------------------------------------------------------------------------
# One parser per file
# --------------------------------------------------------------------------------------------------------


def parse_sources(data: Mapping[str, Any], file: str = "sources.toml") -> Mapping[str, Source]:
    """Validate the ``[[source]]`` tables; the result is keyed by id, in file order."""
    _reject_unknown_top_level(data, file, ["source"])
    out: dict[str, Source] = {}
    for source_id, entry in _entries(data, "source", file):
        out[source_id] = Source(
            id=source_id,
            group=entry.text("group"),
            citation=entry.text("citation"),
            year=entry.year("year"),
            url=entry.optional_text("url"),
            mirrors=entry.texts("mirrors", required=False),
            evidence=entry.evidence(),
            secondary=entry.boolean("secondary"),
            note=entry.text("note", required=False),
        )
        entry.finish()
    if CLINIC_PRACTICE not in out:
        raise KnowledgeError(
            f"{file}: the {CLINIC_PRACTICE!r} source is missing; unverified defaults cite it"
        )
    if out[CLINIC_PRACTICE].evidence is not Evidence.PRACTICE:
        raise KnowledgeError(f"{file}: entry {CLINIC_PRACTICE!r}: evidence must be 'practice'")
    return MappingProxyType(out)


def _cite(
    entry: _Entry, sources: Mapping[str, Source], *, evidence_key: str, sources_key: str
) -> tuple[Evidence, tuple[str, ...]]:
    evidence = entry.evidence(evidence_key)
    cited = check_source_ids(
        entry.texts(sources_key),
        sources=sources,
        evidence=evidence,
        file=entry.file,
        where=f"{entry.where} ({sources_key})",
    )
    return evidence, cited


def _parse_course(entry: _Entry, route: str, table: Any, sources: Mapping[str, Source]) -> Course:
    course = _Entry(table, entry.file, f"{entry.where}, route {route!r}")
    window = Window(
        onset_min=course.minutes("onset_min"),
        peak_min=course.minutes("peak_min"),
        resolution_min=course.minutes("resolution_min"),
    )
    if not window.onset_min <= window.peak_min <= window.resolution_min:
        raise course.error(
            f"inverted window: onset_min {window.onset_min:g} <= peak_min {window.peak_min:g} "
            f"<= resolution_min {window.resolution_min:g} must hold"
        )
    threshold = course.minutes("longer_than_expected_after_min")
    if threshold < window.resolution_min:
        raise course.error(
            f"longer_than_expected_after_min {threshold:g} is before resolution_min "
            f"{window.resolution_min:g}; it must be >= resolution_min"
        )
    evidence, cited = _cite(course, sources, evidence_key="evidence", sources_key="sources")
    threshold_evidence, threshold_cited = _cite(
        course, sources, evidence_key="threshold_evidence", sources_key="threshold_sources"
    )
    parsed = Course(
        route=route,
        window=window,
        evidence=evidence,
        sources=cited,
        longer_than_expected_after_min=threshold,
        threshold_evidence=threshold_evidence,
        threshold_sources=threshold_cited,
        note=course.text("note", required=False),
    )
    course.finish()
    return parsed


def parse_side_effects(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "side_effects.toml"
) -> tuple[Mapping[str, SideEffect], Persistence]:
    """Validate ``[persistence]`` and the ``[[side_effect]]`` tables, each with a course for every route."""
    _reject_unknown_top_level(data, file, ["persistence", "side_effect"])
    persistence_entry = _Entry(data.get("persistence"), file, "[persistence]")
    persistence_evidence, persistence_sources = _cite(
        persistence_entry, sources, evidence_key="evidence", sources_key="sources"
    )
    persistence = Persistence(
        contact_clinic_after_min=persistence_entry.minutes("contact_clinic_after_min"),
        evidence=persistence_evidence,
        sources=persistence_sources,
    )
    persistence_entry.finish()

    out: dict[str, SideEffect] = {}
    for effect_id, entry in _entries(data, "side_effect", file):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        self_care_evidence, self_care_sources = _cite(
            entry, sources, evidence_key="self_care_evidence", sources_key="self_care_sources"
        )
        course_tables = entry.subtable("course")
        missing = [route for route in ROUTES if route not in course_tables]
        if missing:
            raise entry.error(
                f"missing route(s) {', '.join(missing)}; every side effect needs {', '.join(ROUTES)}"
            )
        unknown = [route for route in course_tables if route not in ROUTES]
        if unknown:
            raise entry.error(
                f"unknown route(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(ROUTES)}"
            )
        courses = tuple(_parse_course(entry, route, course_tables[route], sources) for route in ROUTES)
        effect = SideEffect(
            id=effect_id,
            name=entry.text("name"),
            description=entry.text("description"),
            synonyms=entry.texts("synonyms"),
            how_common=entry.text("how_common"),
            evidence=evidence,
            sources=cited,
            self_care=entry.texts("self_care"),
            self_care_evidence=self_care_evidence,
            self_care_sources=self_care_sources,
            courses=courses,
            past_window_red_flag=entry.optional_text("past_window_red_flag"),
        )
        if persistence.contact_clinic_after_min < max(c.longer_than_expected_after_min for c in courses):
            raise entry.error(
                "a longer_than_expected_after_min is later than [persistence] contact_clinic_after_min "
                f"{persistence.contact_clinic_after_min:g}"
            )
        entry.finish()
        out[effect_id] = effect
    return MappingProxyType(out), persistence


def parse_red_flags(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "red_flags.toml"
) -> Mapping[str, RedFlag]:
    """Validate the ``[[red_flag]]`` tables; a red flag's level is contact_clinic, urgent or emergency."""
    _reject_unknown_top_level(data, file, ["red_flag"])
    out: dict[str, RedFlag] = {}
    for flag_id, entry in _entries(data, "red_flag", file):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        out[flag_id] = RedFlag(
            id=flag_id,
            name=entry.text("name"),
            synonyms=entry.texts("synonyms"),
            level=Level(entry.text("level", choices=[level.value for level in RED_FLAG_LEVELS])),
            patient_message=entry.text("patient_message"),
            evidence=evidence,
            sources=cited,
        )
        entry.finish()
    return MappingProxyType(out)


def parse_screening(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "screening.toml"
) -> tuple[Mapping[str, Condition], Mapping[str, Interaction]]:
    """Validate ``[[condition]]`` and ``[[interaction]]``; a medicine name may belong to one class only."""
    _reject_unknown_top_level(data, file, ["condition", "interaction"])
    conditions: dict[str, Condition] = {}
    for condition_id, entry in _entries(data, "condition", file):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        conditions[condition_id] = Condition(
            id=condition_id,
            name=entry.text("name"),
            description=entry.text("description"),
            synonyms=entry.texts("synonyms"),
            level=cast(ConditionLevel, entry.text("level", choices=get_args(ConditionLevel))),
            evidence=evidence,
            sources=cited,
            note=entry.text("note", required=False),
        )
        entry.finish()

    interactions: dict[str, Interaction] = {}
    owner: dict[str, str] = {}
    for class_id, entry in _entries(data, "interaction", file):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        names = entry.texts("names")
        for name in names:
            if name != name.lower().strip():
                raise entry.error(f"medicine name {name!r} must be lower case without surrounding spaces")
            if name in owner:
                raise entry.error(f"medicine name {name!r} is already listed under {owner[name]!r}")
            owner[name] = class_id
        interactions[class_id] = Interaction(
            id=class_id,
            name=entry.text("name"),
            level=cast(InteractionLevel, entry.text("level", choices=get_args(InteractionLevel))),
            names=names,
            effect=entry.text("effect"),
            action=entry.text("action"),
            evidence=evidence,
            sources=cited,
            rems_form_item=entry.optional_text("rems_form_item"),
        )
        entry.finish()
    return MappingProxyType(conditions), MappingProxyType(interactions)


def parse_aftercare(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "aftercare.toml"
) -> tuple[AftercarePhase, ...]:
    """Validate the ``[[phase]]`` tables: exactly the five phases, in order, each with guidance items."""
    _reject_unknown_top_level(data, file, ["phase"])
    phases = []
    for phase_id, entry in _entries(data, "phase", file):
        items = []
        for item_id, item in _entries(
            {"item": entry.raw("item")}, "item", file, within=f"phase {phase_id!r}, "
        ):
            evidence, cited = _cite(item, sources, evidence_key="evidence", sources_key="sources")
            items.append(
                GuidanceItem(
                    id=item_id,
                    kind=cast(GuidanceKind, item.text("kind", choices=get_args(GuidanceKind))),
                    audience=cast(Audience, item.text("audience", choices=get_args(Audience))),
                    text=item.text("text"),
                    evidence=evidence,
                    sources=cited,
                    note=item.text("note", required=False),
                )
            )
            item.finish()
        phases.append(
            AftercarePhase(
                id=phase_id, title=entry.text("title"), when=entry.text("when"), items=tuple(items)
            )
        )
        entry.finish()
    found = tuple(phase.id for phase in phases)
    if found != AFTERCARE_PHASES:
        raise KnowledgeError(
            f"{file}: phases are {', '.join(found)}; expected exactly {', '.join(AFTERCARE_PHASES)} in that order"
        )
    return tuple(phases)


def parse_education(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "education.toml"
) -> Mapping[str, EducationEntry]:
    """Validate the ``[[entry]]`` tables of patient-facing answers."""
    _reject_unknown_top_level(data, file, ["entry"])
    out: dict[str, EducationEntry] = {}
    for entry_id, entry in _entries(data, "entry", file):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        out[entry_id] = EducationEntry(
            id=entry_id,
            topic=entry.text("topic", choices=EDUCATION_TOPICS),
            question=entry.text("question"),
            answer=entry.text("answer"),
            keywords=entry.texts("keywords", required=False),
            evidence=evidence,
            sources=cited,
            note=entry.text("note", required=False),
        )
        entry.finish()
    return MappingProxyType(out)
