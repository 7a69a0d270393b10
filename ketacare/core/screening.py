"""Screening before ketamine or esketamine: conditions and medicines in, an eligibility decision out.

The conditions, interacting medicine classes and their sources live in
``knowledge/data/screening.toml`` (brief section 4). :func:`screen` is a decision aid for the
prescriber, not a decision: "not_eligible" means a label contraindication was recorded, and
"eligible_with_precautions" means something must be weighed before treating.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Condition, Evidence, Interaction, knowledge
from ketacare.core.knowledge.search import contains_phrase, words

Eligibility = Literal["eligible", "eligible_with_precautions", "not_eligible"]
ReasonLevel = Literal["contraindication", "precaution", "note"]

_LEVEL_ORDER: dict[ReasonLevel, int] = {"contraindication": 0, "precaution": 1, "note": 2}


class ScreeningError(ValueError):
    """The screening input names something the knowledge base does not know."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding behind the eligibility result: a condition or an interacting medicine class."""

    kind: Literal["condition", "interaction"]
    id: str
    name: str
    level: ReasonLevel
    detail: str  # what it means and what to do, for the prescriber
    evidence: Evidence
    sources: tuple[str, ...]
    medications: tuple[str, ...]  # the medication texts that matched (interactions only)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The eligibility decision, the reasons behind it (most serious first) and what was not recognised.

    ``rems_form_items`` are the SPRAVATO REMS patient-monitoring-form boxes to tick yes
    (benzodiazepines, non_benzodiazepine_sedative_hypnotics, psychostimulants, maois) [REMS-PMF].
    """

    eligibility: Eligibility
    reasons: tuple[Reason, ...]
    unrecognised_medications: tuple[str, ...]
    rems_form_items: frozenset[str]

    @property
    def contraindications(self) -> tuple[Reason, ...]:
        """The reasons that make the patient not eligible."""
        return tuple(reason for reason in self.reasons if reason.level == "contraindication")

    @property
    def precautions(self) -> tuple[Reason, ...]:
        """The reasons that must be weighed before treating."""
        return tuple(reason for reason in self.reasons if reason.level == "precaution")


def _condition_reason(condition: Condition) -> Reason:
    detail = condition.description + (f" {condition.note}" if condition.note else "")
    return Reason(
        kind="condition",
        id=condition.id,
        name=condition.name,
        level=condition.level,
        detail=detail,
        evidence=condition.evidence,
        sources=condition.sources,
        medications=(),
    )


def _interaction_reason(interaction: Interaction, medications: Iterable[str]) -> Reason:
    return Reason(
        kind="interaction",
        id=interaction.id,
        name=interaction.name,
        level=interaction.level,
        detail=f"{interaction.effect} {interaction.action}",
        evidence=interaction.evidence,
        sources=interaction.sources,
        medications=tuple(medications),
    )


def match_medication(text: str) -> tuple[Interaction, ...]:
    """The interacting medicine classes named in one free-text medication entry (case-insensitive).

    Names match as whole words, so "Xanax 0.5 mg at night" finds benzodiazepines and "Percocet and
    Valium" finds both opioids and benzodiazepines.
    """
    text_words = words(text)
    return tuple(
        interaction
        for interaction in knowledge().interactions.values()
        if any(contains_phrase(text_words, words(name)) for name in interaction.names)
    )


def screen(conditions: list[str], medications: list[str]) -> ScreeningResult:
    """Screen a patient's condition ids and free-text medications against the knowledge base.

    ``conditions`` are ids from screening.toml (see ``ketacare.core.knowledge.conditions()``); an
    unknown id raises ScreeningError naming it and listing the allowed ids. ``medications`` are free
    text as the patient or clinician wrote them; text that names no known interacting class is
    returned in ``unrecognised_medications`` (not an error: most medicines do not interact, but a
    clinician should still read the list).
    """
    kb = knowledge()
    unknown = [condition_id for condition_id in conditions if condition_id not in kb.conditions]
    if unknown:
        raise ScreeningError(
            f"unknown condition id(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(kb.conditions)}"
        )

    reasons = [_condition_reason(kb.conditions[condition_id]) for condition_id in dict.fromkeys(conditions)]

    matched: dict[str, list[str]] = {}
    unrecognised: list[str] = []
    for text in medications:
        if not text.strip():
            continue
        found = match_medication(text)
        if not found:
            unrecognised.append(text)
        for interaction in found:
            matched.setdefault(interaction.id, []).append(text)
    reasons += [_interaction_reason(kb.interactions[class_id], texts) for class_id, texts in matched.items()]

    # Stable sort: most serious first, input order within a level.
    reasons.sort(key=lambda reason: _LEVEL_ORDER[reason.level])
    levels = {reason.level for reason in reasons}
    eligibility: Eligibility
    if "contraindication" in levels:
        eligibility = "not_eligible"
    elif "precaution" in levels:
        eligibility = "eligible_with_precautions"
    else:
        eligibility = "eligible"
    rems_items = frozenset(
        item for class_id in matched if (item := kb.interactions[class_id].rems_form_item) is not None
    )
    return ScreeningResult(
        eligibility=eligibility,
        reasons=tuple(reasons),
        unrecognised_medications=tuple(unrecognised),
        rems_form_items=rems_items,
    )
