"""Plain-word search over symptoms and education entries, and whole-word phrase matching.

Matching is deliberately simple and predictable (no stemming, no fuzzy distance): text is lower-cased
and split into words on anything that is not a letter or a digit, so "Light-headed!" and
"light headed" match each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ketacare.core.knowledge.loader import Knowledge
from ketacare.core.knowledge.model import EducationEntry, SymptomKind, SymptomMatch

_WORD = re.compile(r"[^\W_]+")  # letters and digits in any script
# Apostrophes are dropped rather than split on, so "can't" and "cant" are the same word.
_APOSTROPHES = str.maketrans("", "", "'\u2019")

# Words too common to count as a match on their own in education search.
_STOPWORDS = frozenset(
    "a an and are as at be can do does for from have how i if in is it me my of on or so that the this to "
    "what when where which who why will with you your".split()
)
# A query word this short must match a whole word; longer ones may match the start of a word
# ("dizz" finds "dizzy"), which helps people typing on a phone.
_MIN_PREFIX_LEN = 4


def words(text: str) -> tuple[str, ...]:
    """The lower-case words of ``text`` (letters and digits only)."""
    return tuple(_WORD.findall(text.lower().translate(_APOSTROPHES)))


def contains_phrase(haystack: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the word sequence ``phrase`` occurs in ``haystack`` as whole words."""
    n = len(phrase)
    return n > 0 and any(haystack[i : i + n] == phrase for i in range(len(haystack) - n + 1))


def _word_matches(query_word: str, candidates: Iterable[str]) -> bool:
    if len(query_word) < _MIN_PREFIX_LEN:
        return query_word in candidates
    return any(candidate.startswith(query_word) for candidate in candidates)


def _term_score(query: tuple[str, ...], term: tuple[str, ...]) -> int:
    """3 exact, 2 one phrase contains the other, 1 every query word starts a word of the term, else 0."""
    if query == term:
        return 3
    if contains_phrase(query, term) or contains_phrase(term, query):
        return 2
    if all(_word_matches(word, term) for word in query):
        return 1
    return 0


def search_symptoms(query: str, kb: Knowledge) -> tuple[SymptomMatch, ...]:
    """Side effects and red flags whose name or a synonym matches ``query``, best first.

    Exact matches come first, then phrase matches, then word-prefix matches; within a tie red flags
    come before side effects, so a possible emergency is never buried under an expected effect.
    """
    query_words = words(query)
    if not query_words:
        return ()
    scored: list[tuple[int, int, int, SymptomMatch]] = []
    entries: list[tuple[SymptomKind, str, str, tuple[str, ...]]] = [
        ("red_flag", flag.id, flag.name, flag.synonyms) for flag in kb.red_flags.values()
    ] + [("side_effect", effect.id, effect.name, effect.synonyms) for effect in kb.side_effects.values()]
    for order, (kind, entry_id, name, synonyms) in enumerate(entries):
        best_score, best_term = 0, ""
        for term in (name, *synonyms):
            score = _term_score(query_words, words(term))
            if score > best_score:
                best_score, best_term = score, term
        if best_score:
            match = SymptomMatch(
                kind=kind,
                id=entry_id,
                name=name,
                matched=best_term,
                exact=best_score == 3,
            )
            scored.append((-best_score, 0 if kind == "red_flag" else 1, order, match))
    return tuple(match for *_, match in sorted(scored, key=lambda row: row[:3]))


def search_education(query: str, kb: Knowledge) -> tuple[EducationEntry, ...]:
    """Education entries matching the words of ``query``, most relevant first.

    A word found in the question or the keywords counts twice as much as one found in the answer;
    common words ("what", "the" ...) are ignored.
    """
    query_words = [word for word in words(query) if word not in _STOPWORDS]
    if not query_words:
        return ()
    scored = []
    for order, entry in enumerate(kb.education.values()):
        title_words = set(words(entry.question)) | {w for keyword in entry.keywords for w in words(keyword)}
        answer_words = set(words(entry.answer))
        score = sum(
            2 if _word_matches(word, title_words) else 1 if _word_matches(word, answer_words) else 0
            for word in query_words
        )
        if score:
            scored.append((-score, order, entry))
    return tuple(entry for *_, entry in sorted(scored, key=lambda row: row[:2]))
