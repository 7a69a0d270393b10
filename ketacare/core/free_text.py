"""A small keyword screen of the patient's own words ("something else"), so nothing falls through.

:func:`screen_free_text` maps obvious emergencies in the text ("can't breathe", "chest pain", "fainted",
"kill myself") to their red flag, which then follows the red flag's own path (level, message,
sources, clinic alert). Everything else gets the outcome **review**: a person at the clinic reads it
(the app raises a review alert whose severity comes from the patient's own "how worried are
you" and shows "if in doubt, call"). Text that only says "nothing" / "no" needs no review.

The phrases and rules are in ``knowledge/data/safety_net.toml`` ``[free_text]`` (clinic practice;
decision 0012). Matching is whole words, case-insensitive, apostrophes ignored. Besides fixed phrases,
a near-word rule finds two words a few words apart in either order ("my chest feels tight", "tightness
in my chest"), since people rarely say a symptom the way a list spells it; words inside the rule's
exception phrases ("chest of drawers") do not count. A phrase with a negation among the two words
before it ("no chest pain", "I don't have chest pain"), or a near-word pair with one before or between
them ("my chest is not tight"), is not sent down the red-flag path: it goes to review with the words
named for the clinician, so a denial never triggers "call the emergency number", and never disappears
either. This is a screen, not a diagnosis: it errs on the side of a person looking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Level, knowledge
from ketacare.core.knowledge.search import words
from ketacare.core.safety_net import FreeTextRules, NearRule, safety_net

# The longest text screened (a software limit: the app's field is shorter).
MAX_FREE_TEXT_CHARS = 5000

Outcome = Literal["none", "red_flag", "review"]


class FreeTextError(ValueError):
    """The text cannot be screened (not a string, or too long); the message names the limit."""


@dataclass(frozen=True, slots=True)
class FreeTextMatch:
    """A phrase found in the text: the red flag it maps to and the words that matched."""

    red_flag_id: str
    phrase: str
    negated: bool


@dataclass(frozen=True, slots=True)
class FreeTextScreen:
    """The outcome of screening one text.

    ``outcome``: ``red_flag`` (at least one phrase matched without a negation: ``red_flag_ids`` follow
    their red flag's path), ``review`` (text that needs a person: nothing matched, or only negated
    phrases) or ``none`` (empty, or only "nothing"). ``level`` is the highest red flag's level, the
    review level (contact_clinic) for review, or expected for none. ``negated`` lists phrases found with
    a negation, for the clinician. ``patient_message`` is calm and plain; for a red flag it is the red
    flag's own message.
    """

    text: str
    outcome: Outcome
    level: Level
    red_flag_ids: tuple[str, ...]
    matches: tuple[FreeTextMatch, ...]
    patient_message: str
    sources: tuple[str, ...]

    @property
    def review_required(self) -> bool:
        """True when a person at the clinic must read the text (the app raises a review alert)."""
        return self.outcome == "review"

    @property
    def negated(self) -> tuple[str, ...]:
        """Phrases found after a negation ("no chest pain"): shown to the clinician, never dropped."""
        return tuple(match.phrase for match in self.matches if match.negated)


REVIEW_MESSAGE = (
    "Thank you for telling us. Your clinic will read what you wrote. If in doubt, call your clinic; if it "
    "feels like an emergency, call your local emergency number now."
)


def _find(haystack: tuple[str, ...], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == phrase]


# Punctuation that ends a clause: a negation does not reach past it ("No, my chest feels tight").
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n]+")


@dataclass(frozen=True, slots=True)
class _Words:
    """The text's words and, for each, the number of the clause it stands in."""

    said: tuple[str, ...]
    clause: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> _Words:
        said = words(text)
        clause = tuple(n for n, piece in enumerate(_CLAUSE_BREAK.split(text)) for _ in words(piece))
        if len(clause) != len(said):  # pragma: no cover - the breaks are never part of a word
            clause = (0,) * len(said)
        return cls(said, clause)


def _negated(text: _Words, start: int, end: int, rules: FreeTextRules, *, inside: bool) -> bool:
    """A negation among the window's words before ``said[start:end]`` in the same clause, or, when
    ``inside`` (a near-word pair), among the words between the pair."""
    before = [
        text.said[k]
        for k in range(max(0, start - rules.negation_window_words), start)
        if text.clause[k] == text.clause[start]
    ]
    between = text.said[start + 1 : end - 1] if inside else ()
    return any(word in rules.negation_words for word in (*before, *between))


def _near(text: _Words, rule: NearRule, rules: FreeTextRules) -> list[FreeTextMatch]:
    """One match per word of ``rule.words`` with a partner close enough: the nearest pair not negated,
    else the nearest negated one (so "no pain, but my chest feels tight" is not read as a denial)."""
    said = text.said
    excluded = {
        i + k for phrase in rule.except_phrases for i in _find(said, phrase) for k in range(len(phrase))
    }
    found: list[FreeTextMatch] = []
    for i, word in enumerate(said):
        if word not in rule.words or i in excluded:
            continue
        pairs = sorted(
            (abs(j - i), j)
            for j in range(max(0, i - rule.within_words - 1), min(len(said), i + rule.within_words + 2))
            if said[j] in rule.near_words and j not in excluded
        )
        candidates = []
        for _distance, j in pairs:
            start, end = min(i, j), max(i, j) + 1
            candidates.append(
                FreeTextMatch(
                    rule.red_flag_id,
                    " ".join(said[start:end]),
                    _negated(text, start, end, rules, inside=True),
                )
            )
        positive = [match for match in candidates if not match.negated]
        if candidates:
            found.append((positive or candidates)[0])
    return found


def screen_free_text(text: str) -> FreeTextScreen:
    """Screen the patient's own words; see the module docstring for the rules.

    Raises FreeTextError for a non-string or a text longer than :data:`MAX_FREE_TEXT_CHARS` characters.
    """
    if not isinstance(text, str):
        raise FreeTextError(f"text must be a string, got {type(text).__name__}")
    if len(text) > MAX_FREE_TEXT_CHARS:
        raise FreeTextError(f"text is {len(text)} characters long; at most {MAX_FREE_TEXT_CHARS}")
    rules = safety_net().free_text
    kb = knowledge()
    split = _Words.of(text)
    said = split.said
    if not said or said in rules.nothing_texts:
        return FreeTextScreen(
            text=text,
            outcome="none",
            level=Level.EXPECTED,
            red_flag_ids=(),
            matches=(),
            patient_message="Nothing else reported.",
            sources=(),
        )
    matches: list[FreeTextMatch] = []
    for flag_id, phrases in rules.phrases.items():
        for phrase in phrases:
            for start in _find(said, phrase):
                negated = _negated(split, start, start + len(phrase), rules, inside=False)
                matches.append(FreeTextMatch(flag_id, " ".join(phrase), negated))
    for rule in rules.near:
        matches.extend(_near(split, rule, rules))
    positive = tuple(dict.fromkeys(m.red_flag_id for m in matches if not m.negated))
    # Order the red flags by file order of red_flags.toml, so the result is stable.
    positive = tuple(flag_id for flag_id in kb.red_flags if flag_id in positive)
    unique_matches = tuple(dict.fromkeys(matches))
    if positive:
        top = max((kb.red_flags[flag_id] for flag_id in positive), key=lambda flag: flag.level)
        # What a matched phrase list is drawn from (the warning signs of suicide), beside the screen's
        # clinic practice and the red flag's own sources.
        drawn_from = [
            source
            for flag_id in positive
            if (cited := rules.phrase_sources.get(flag_id)) is not None
            for source in cited.sources
        ]
        return FreeTextScreen(
            text=text,
            outcome="red_flag",
            level=top.level,
            red_flag_ids=positive,
            matches=unique_matches,
            patient_message=top.patient_message,
            sources=tuple(dict.fromkeys((*rules.cited.sources, *drawn_from, *top.sources))),
        )
    return FreeTextScreen(
        text=text,
        outcome="review",
        level=rules.review_level,
        red_flag_ids=(),
        matches=unique_matches,
        patient_message=REVIEW_MESSAGE,
        sources=rules.cited.sources,
    )
