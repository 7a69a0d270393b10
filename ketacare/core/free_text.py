"""A small keyword screen of the patient's own words ("something else"), so nothing falls through.

:func:`screen_free_text` maps obvious emergencies in the text ("can't breathe", "chest pain", "fainted",
"kill myself") to their red flag, which then follows the red flag's own path (level, message,
sources, clinic alert). Everything else gets the outcome **review**: a person at the clinic reads it
(the app raises a review alert whose severity comes from the patient's own "how worried are
you" and shows "if in doubt, call"). Text that only says "nothing" / "no" needs no review.

The phrases and rules are in ``knowledge/data/safety_net.toml`` ``[free_text]`` (clinic practice;
decision 0012). Matching is whole words, case-insensitive, apostrophes ignored. A phrase with a negation
among the two words before it ("no chest pain", "I don't have chest pain") is not sent down the red-flag
path: it goes to review with the phrase named for the clinician, so a denial never triggers "call the
emergency number", and never disappears either. This is a screen, not a diagnosis: it errs on the side
of a person looking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Level, knowledge
from ketacare.core.knowledge.search import words
from ketacare.core.safety_net import safety_net

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
    said = words(text)
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
                before = said[max(0, start - rules.negation_window_words) : start]
                negated = any(word in rules.negation_words for word in before)
                matches.append(FreeTextMatch(flag_id, " ".join(phrase), negated))
    positive = tuple(dict.fromkeys(m.red_flag_id for m in matches if not m.negated))
    # Order the red flags by file order of red_flags.toml, so the result is stable.
    positive = tuple(flag_id for flag_id in kb.red_flags if flag_id in positive)
    unique_matches = tuple(dict.fromkeys(matches))
    if positive:
        top = max((kb.red_flags[flag_id] for flag_id in positive), key=lambda flag: flag.level)
        return FreeTextScreen(
            text=text,
            outcome="red_flag",
            level=top.level,
            red_flag_ids=positive,
            matches=unique_matches,
            patient_message=top.patient_message,
            sources=tuple(dict.fromkeys((*rules.cited.sources, *top.sources))),
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
