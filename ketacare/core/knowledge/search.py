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
# A symptom search reads a sentence ("burning when I pee") by its meaningful words: these are ignored
# in the query and in the names and synonyms alike, so "pain in my chest" is "pain chest".
_SYMPTOM_STOPWORDS = _STOPWORDS | frozenset(
    "am im ive has had just really very bit lot quite today now like got get getting".split()
)
# Words that say little about which symptom is meant (many red flags and effects have them): they count
# with another word of the same entry, and on their own only when they are all the query says.
_WEAK_WORDS = frozenset(
    "cant cannot not no dont wont unable feel feels feeling felt hurt hurts hurting pain painful bad "
    "keep out up want more still".split()
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


def _meaningful(text_words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for word in text_words if word not in _SYMPTOM_STOPWORDS)


def _term_score(query: tuple[str, ...], term: tuple[str, ...]) -> int:
    """How well the whole query (its meaningful words) matches one name or synonym: 3 exact, 2 one
    phrase contains the other, 1 every query word starts a word of the term, else 0."""
    if not query or not term:
        return 0
    if query == term:
        return 3
    if contains_phrase(query, term) or contains_phrase(term, query):
        return 2
    if all(_word_matches(word, term) for word in query):
        return 1
    return 0


def _word_score(query: tuple[str, ...], terms: list[tuple[str, ...]]) -> int:
    """How many of the query's meaningful words an entry's names and synonyms hold: 2 for a whole word,
    1 for the start of one; 0 unless one of them is more than a weak word."""
    score, strong = 0, False
    for word in dict.fromkeys(query):
        points = (
            2
            if any(word in term for term in terms)
            else 1
            if any(_word_matches(word, term) for term in terms)
            else 0
        )
        score += points
        strong = strong or (points > 0 and word not in _WEAK_WORDS)
    return score if strong else 0


def search_symptoms(query: str, kb: Knowledge) -> tuple[SymptomMatch, ...]:
    """Side effects and red flags whose name or a synonym matches ``query``, best first.

    The query's small words ("when", "I", "my" ...) are ignored. Matches of the whole query come first:
    exact, then phrase, then word-prefix matches. The words no such match explains ("burning when I
    pee" has no synonym of its own) then find the entries that hold most of them, at least half as
    many as the best, and never by a word that alone says little ("hurts", "can't"). Within a tie red
    flags come before side effects, so a possible emergency is never buried under an expected effect.
    """
    query_words = _meaningful(words(query))
    if not query_words:
        return ()
    named: list[tuple[SymptomKind, str, str, tuple[str, ...]]] = [
        ("red_flag", flag.id, flag.name, flag.synonyms) for flag in kb.red_flags.values()
    ] + [("side_effect", effect.id, effect.name, effect.synonyms) for effect in kb.side_effects.values()]
    entries = [
        (kind, entry_id, name, [(term, _meaningful(words(term))) for term in (name, *synonyms)])
        for kind, entry_id, name, synonyms in named
    ]
    scored: list[tuple[int, int, int, int, SymptomMatch]] = []
    covered: set[str] = set()
    for order, (kind, entry_id, name, terms) in enumerate(entries):
        best_score, best_term = 0, ""
        best_words: tuple[str, ...] = ()
        for term, term_words in terms:
            score = _term_score(query_words, term_words)
            if score > best_score:
                best_score, best_term, best_words = score, term, term_words
        if best_score:
            covered.update(word for word in query_words if _word_matches(word, best_words))
            match = SymptomMatch(kind=kind, id=entry_id, name=name, matched=best_term, exact=best_score == 3)
            scored.append((-best_score, 0, 0 if kind == "red_flag" else 1, order, match))
    left = tuple(word for word in query_words if word not in covered)
    partial: list[tuple[int, int, int, int, SymptomMatch]] = []
    for order, (kind, entry_id, name, terms) in enumerate(entries if left else ()):
        if any(row[4].id == entry_id for row in scored):
            continue
        score = _word_score(left, [term_words for _, term_words in terms])
        if score:
            term = max(terms, key=lambda t: _word_score(left, [t[1]]))[0]
            match = SymptomMatch(kind=kind, id=entry_id, name=name, matched=term, exact=False)
            partial.append((0, -score, 0 if kind == "red_flag" else 1, order, match))
    best_partial = max((-row[1] for row in partial), default=0)
    scored += [row for row in partial if -row[1] * 2 >= best_partial]
    return tuple(row[4] for row in sorted(scored, key=lambda row: row[:4]))


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
