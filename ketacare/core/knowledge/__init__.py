"""The clinical knowledge base: sources, side effects, red flags, screening, aftercare and education.

Everything is read once from the TOML files in ``ketacare/core/knowledge/data/`` into frozen
dataclasses and validated on load (:mod:`ketacare.core.knowledge.loader`). Every entry cites source
ids that resolve in ``sources.toml``; values the clinical brief marks unverified carry evidence
"practice" and cite "clinic-practice". Times are minutes after the start of dosing.

Other core modules validate their own citations with :func:`source_ids` or
:func:`validate_source_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from ketacare.core.knowledge import render as _render
from ketacare.core.knowledge import search as _search
from ketacare.core.knowledge.loader import Knowledge, check_source_ids, knowledge, load_knowledge
from ketacare.core.knowledge.model import (
    CLINIC_PRACTICE,
    RED_FLAG_LEVELS,
    ROUTES,
    AftercarePhase,
    Condition,
    Course,
    EducationEntry,
    Evidence,
    GuidanceItem,
    Interaction,
    KnowledgeError,
    Level,
    Persistence,
    RedFlag,
    SideEffect,
    Source,
    SymptomMatch,
    UnknownIdError,
    Window,
)

__all__ = [
    "CLINIC_PRACTICE",
    "RED_FLAG_LEVELS",
    "ROUTES",
    "AftercarePhase",
    "Condition",
    "Course",
    "EducationEntry",
    "Evidence",
    "GuidanceItem",
    "Interaction",
    "Knowledge",
    "KnowledgeError",
    "Level",
    "Persistence",
    "RedFlag",
    "SideEffect",
    "Source",
    "SymptomMatch",
    "UnknownIdError",
    "Window",
    "aftercare_phases",
    "conditions",
    "education_entries",
    "get_aftercare_phase",
    "get_condition",
    "get_education_entry",
    "get_interaction",
    "get_red_flag",
    "get_side_effect",
    "get_source",
    "interactions",
    "knowledge",
    "load_knowledge",
    "persistence",
    "red_flags",
    "render_sources_markdown",
    "search_education",
    "search_symptoms",
    "side_effects",
    "source_ids",
    "sources",
    "validate_source_ids",
]

_T = TypeVar("_T")


def _lookup(kind: str, table: Mapping[str, _T], entry_id: str) -> _T:
    try:
        return table[entry_id]
    except KeyError:
        raise UnknownIdError(f"unknown {kind} id {entry_id!r}; allowed: {', '.join(table)}") from None


# --- sources ----------------------------------------------------------------------------------------------


def sources() -> tuple[Source, ...]:
    """Every source, in file order."""
    return tuple(knowledge().sources.values())


def source_ids() -> frozenset[str]:
    """The ids a clinical fact may cite (including "clinic-practice")."""
    return frozenset(knowledge().sources)


def get_source(source_id: str) -> Source:
    """The source with id ``source_id`` (UnknownIdError listing the allowed ids if unknown)."""
    return _lookup("source", knowledge().sources, source_id)


def validate_source_ids(
    ids: Iterable[str], *, file: str, where: str, evidence: Evidence | str | None = None
) -> tuple[str, ...]:
    """Check citations made in another data file; KnowledgeError naming ``file`` and ``where`` if wrong.

    Every id must be in sources.toml; with ``evidence`` given, citing "clinic-practice" requires
    evidence "practice", and evidence "practice" requires a practice-level source.
    """
    level = Evidence(evidence.lower()) if isinstance(evidence, str) else evidence
    return check_source_ids(ids, sources=knowledge().sources, evidence=level, file=file, where=where)


# --- side effects and red flags ---------------------------------------------------------------------------


def side_effects() -> tuple[SideEffect, ...]:
    """Every expected side effect, in file order."""
    return tuple(knowledge().side_effects.values())


def get_side_effect(side_effect_id: str) -> SideEffect:
    """The side effect with id ``side_effect_id`` (UnknownIdError if unknown)."""
    return _lookup("side effect", knowledge().side_effects, side_effect_id)


def persistence() -> Persistence:
    """After how many minutes any expected effect that is still present calls for the clinic."""
    return knowledge().persistence


def red_flags() -> tuple[RedFlag, ...]:
    """Every red flag, in file order."""
    return tuple(knowledge().red_flags.values())


def get_red_flag(red_flag_id: str) -> RedFlag:
    """The red flag with id ``red_flag_id`` (UnknownIdError if unknown)."""
    return _lookup("red flag", knowledge().red_flags, red_flag_id)


def search_symptoms(query: str) -> tuple[SymptomMatch, ...]:
    """Side effects and red flags whose name or a synonym matches the plain words of ``query``."""
    return _search.search_symptoms(query, knowledge())


# --- screening --------------------------------------------------------------------------------------------


def conditions() -> tuple[Condition, ...]:
    """Every screening condition (contraindications first, then precautions, as in the file)."""
    return tuple(knowledge().conditions.values())


def get_condition(condition_id: str) -> Condition:
    """The screening condition with id ``condition_id`` (UnknownIdError if unknown)."""
    return _lookup("condition", knowledge().conditions, condition_id)


def interactions() -> tuple[Interaction, ...]:
    """Every interacting medicine class, in file order."""
    return tuple(knowledge().interactions.values())


def get_interaction(interaction_id: str) -> Interaction:
    """The interacting medicine class with id ``interaction_id`` (UnknownIdError if unknown)."""
    return _lookup("interaction", knowledge().interactions, interaction_id)


# --- aftercare and education ------------------------------------------------------------------------------


def aftercare_phases() -> tuple[AftercarePhase, ...]:
    """The aftercare phases in order: in_clinic, first_hours, rest_of_day, 24_72h, following_weeks."""
    return knowledge().aftercare


def get_aftercare_phase(phase_id: str) -> AftercarePhase:
    """The aftercare phase with id ``phase_id`` (UnknownIdError if unknown)."""
    return _lookup("aftercare phase", {phase.id: phase for phase in knowledge().aftercare}, phase_id)


def education_entries() -> tuple[EducationEntry, ...]:
    """Every patient education entry, in file order."""
    return tuple(knowledge().education.values())


def get_education_entry(entry_id: str) -> EducationEntry:
    """The education entry with id ``entry_id`` (UnknownIdError if unknown)."""
    return _lookup("education entry", knowledge().education, entry_id)


def search_education(query: str) -> tuple[EducationEntry, ...]:
    """Education entries matching the plain words of ``query``, most relevant first."""
    return _search.search_education(query, knowledge())


# --- documentation ----------------------------------------------------------------------------------------


def render_sources_markdown() -> str:
    """The Markdown text of docs/clinical-sources.md, generated from the packaged knowledge base."""
    return _render.render_sources_markdown(knowledge())
