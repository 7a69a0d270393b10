"""Read and validate the knowledge TOML files into frozen dataclasses.

The packaged files are read once (:func:`knowledge`, cached); :func:`load_knowledge` reads another
directory, so tests can feed broken copies. Every problem raises :class:`KnowledgeError` naming the
file and the entry id: an unknown source id, a negative or inverted window, a missing route, a
duplicate id, an unknown key, evidence that contradicts its sources. The tables are read with
:mod:`ketacare.core.tomlload`, shared with the protocols and the instruments.
"""

from __future__ import annotations

import functools
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
from ketacare.core.tomlload import TomlTable, did_you_mean, not_one_of, read_toml

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
    return read_toml(name, packaged_data_dir() if data_dir is None else data_dir, KnowledgeError)


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
                f"{did_you_mean(effect.past_window_red_flag, red_flags)}"
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


class _Entry(TomlTable):
    """One table of a knowledge file; every error is a KnowledgeError naming the file and the entry id."""

    error_type = KnowledgeError

    def minutes(self, key: str) -> float:
        """The required number of minutes ``key``, from 0 to a week."""
        return self.number(
            key, 0, _MAX_MINUTES, unit=" min", hint="the allowed range stops at a week to catch typos"
        )

    def evidence(self, key: str = "evidence") -> Evidence:
        """The required evidence tag ``key`` (any case)."""
        value = self.text(key)
        try:
            return Evidence(value.lower())
        except ValueError:
            raise self.error(not_one_of(key, value, [e.value for e in Evidence])) from None


def _entries(parent: _Entry, key: str) -> list[tuple[str, _Entry]]:
    """The ``[[key]]`` tables of ``parent`` as (id, entry), refusing a missing, empty or duplicate id."""
    seen: set[str] = set()
    out = []
    for entry in parent.tables(key, required=True):
        entry_id = entry.text("id")
        if entry_id in seen:
            raise entry.error("duplicate id")
        seen.add(entry_id)
        out.append((entry_id, entry))
    return out


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
                f"{file}: {where}: unknown source id {source_id!r}{did_you_mean(source_id, sources)}; "
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
    root = _Entry(data, file=file)
    root.only(["source"])
    out: dict[str, Source] = {}
    for source_id, entry in _entries(root, "source"):
        out[source_id] = Source(
            id=source_id,
            group=entry.text("group"),
            citation=entry.text("citation"),
            year=entry.optional_whole("year", 1900, 2100),
            url=entry.optional_text("url"),
            mirrors=entry.texts("mirrors", required=False),
            evidence=entry.evidence(),
            secondary=entry.flag("secondary"),
            note=entry.optional_text("note") or "",
            patient_citation=entry.optional_text("patient_citation") or "",
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
    course = entry.nested(table, f"{entry.where}, route {route!r}")
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
        note=course.optional_text("note") or "",
    )
    course.finish()
    return parsed


def parse_side_effects(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "side_effects.toml"
) -> tuple[Mapping[str, SideEffect], Persistence]:
    """Validate ``[persistence]`` and the ``[[side_effect]]`` tables, each with a course for every route."""
    root = _Entry(data, file=file)
    root.only(["persistence", "side_effect"])
    persistence_entry = root.table("persistence")
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
    for effect_id, entry in _entries(root, "side_effect"):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        self_care_evidence, self_care_sources = _cite(
            entry, sources, evidence_key="self_care_evidence", sources_key="self_care_sources"
        )
        course_tables = entry.table("course")
        missing = [route for route in ROUTES if not course_tables.has(route)]
        if missing:
            raise entry.error(
                f"missing route(s) {', '.join(missing)}; every side effect needs {', '.join(ROUTES)}"
            )
        unknown = [route for route in course_tables.data if route not in ROUTES]
        if unknown:
            raise entry.error(
                f"unknown route(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(ROUTES)}"
            )
        courses = tuple(_parse_course(entry, route, course_tables.value(route), sources) for route in ROUTES)
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
    root = _Entry(data, file=file)
    root.only(["red_flag"])
    out: dict[str, RedFlag] = {}
    for flag_id, entry in _entries(root, "red_flag"):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        out[flag_id] = RedFlag(
            id=flag_id,
            name=entry.text("name"),
            synonyms=entry.texts("synonyms"),
            level=Level(entry.text("level", choices=[level.value for level in RED_FLAG_LEVELS])),
            patient_message=entry.text("patient_message"),
            evidence=evidence,
            sources=cited,
            signs=entry.optional_text("signs") or "",
            before_any_dose_name=entry.optional_text("before_any_dose_name") or "",
            before_any_dose_message=entry.optional_text("before_any_dose_message") or "",
        )
        if bool(out[flag_id].before_any_dose_name) != bool(out[flag_id].before_any_dose_message):
            raise entry.error(
                "before_any_dose_name and before_any_dose_message go together: give both or neither"
            )
        entry.finish()
    return MappingProxyType(out)


def parse_screening(
    data: Mapping[str, Any], sources: Mapping[str, Source], file: str = "screening.toml"
) -> tuple[Mapping[str, Condition], Mapping[str, Interaction]]:
    """Validate ``[[condition]]`` and ``[[interaction]]``; a medicine name may belong to one class only."""
    root = _Entry(data, file=file)
    root.only(["condition", "interaction"])
    conditions: dict[str, Condition] = {}
    for condition_id, entry in _entries(root, "condition"):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        conditions[condition_id] = Condition(
            id=condition_id,
            name=entry.text("name"),
            description=entry.text("description"),
            synonyms=entry.texts("synonyms"),
            level=cast(ConditionLevel, entry.text("level", choices=get_args(ConditionLevel))),
            evidence=evidence,
            sources=cited,
            note=entry.optional_text("note") or "",
        )
        entry.finish()

    interactions: dict[str, Interaction] = {}
    owner: dict[str, str] = {}
    for class_id, entry in _entries(root, "interaction"):
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
    root = _Entry(data, file=file)
    root.only(["phase"])
    phases = []
    for phase_id, entry in _entries(root, "phase"):
        items = []
        for item_id, item in _entries(entry, "item"):
            evidence, cited = _cite(item, sources, evidence_key="evidence", sources_key="sources")
            items.append(
                GuidanceItem(
                    id=item_id,
                    kind=cast(GuidanceKind, item.text("kind", choices=get_args(GuidanceKind))),
                    audience=cast(Audience, item.text("audience", choices=get_args(Audience))),
                    text=item.text("text"),
                    evidence=evidence,
                    sources=cited,
                    note=item.optional_text("note") or "",
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
    root = _Entry(data, file=file)
    root.only(["entry"])
    out: dict[str, EducationEntry] = {}
    for entry_id, entry in _entries(root, "entry"):
        evidence, cited = _cite(entry, sources, evidence_key="evidence", sources_key="sources")
        out[entry_id] = EducationEntry(
            id=entry_id,
            topic=entry.text("topic", choices=EDUCATION_TOPICS),
            question=entry.text("question"),
            answer=entry.text("answer"),
            keywords=entry.texts("keywords", required=False),
            evidence=evidence,
            sources=cited,
            note=entry.optional_text("note") or "",
        )
        entry.finish()
    return MappingProxyType(out)
