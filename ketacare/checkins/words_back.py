"""The patient's own words on the check-in's pages: said back as they wrote them, and a note nobody is alerted to.

- :func:`said_back`: a red flag the screen found in the patient's words is said back in those words
  ("In your words: “don’t want to wake up”"), not as a clinical label with "(how strong: not given)";
  the screen's phrases are lower case without apostrophes, so each is found again in what was typed.
- :func:`note_to_read`: a note in which the screen found no red flag and that says more than "nothing".
  It is a message read with the check-in: unless something else in the check-in raised an alert, nobody
  is alerted to it, and both the answer and the clinic's page say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ketacare.checkins.models import SymptomCheckin
from ketacare.core.free_text import screen_free_text

# As the screen reads text (core.knowledge.search.words): letters and digits, apostrophes dropped.
_APOSTROPHE = "['\u2019]?"
_NOT_A_LETTER = r"[\W_]+"
_EDGE_BEFORE = r"(?<![^\W_])"
_EDGE_AFTER = r"(?![^\W_])"


def _typed(phrase: str) -> re.Pattern[str]:
    """``phrase`` as it may have been typed: any case, any apostrophe inside a word, any punctuation or
    spaces between the words."""
    words = [_APOSTROPHE.join(re.escape(letter) for letter in word) for word in phrase.split()]
    return re.compile(_EDGE_BEFORE + _NOT_A_LETTER.join(words) + _EDGE_AFTER, re.IGNORECASE)


def said_back(detail: Mapping[str, Any], *texts: str) -> list[str]:
    """The words of ``texts`` in which the screen found this detail's red flag, as the patient typed
    them, in the order the screen listed its phrases ([] for a symptom that was ticked, or words that
    cannot be found again)."""
    matched = str(detail.get("matched_text") or "")
    found: list[str] = []
    for phrase in filter(None, (piece.strip() for piece in matched.split(","))):
        pattern = _typed(phrase)
        for text in texts:
            hit = pattern.search(text)
            if hit is not None:
                found.append(hit.group(0))
                break
    return list(dict.fromkeys(found))


def note_to_read(checkin: SymptomCheckin) -> bool:
    """Whether the check-in carries a note the screen found no red flag in and that says more than
    "nothing". A red flag in either box sends both boxes down the red flag's path (``own_words``)."""
    if not checkin.note.strip():
        return False
    screened = checkin.triage_result.get("free_text") or {}
    if screened.get("outcome") == "red_flag":
        return False
    return screen_free_text(checkin.note).outcome != "none"


def note_in_the_alert(checkin: SymptomCheckin) -> bool:
    """Whether the check-in's own alert quotes its note: it does when it is about the patient's words
    (a red flag in them, or words to review), which it quotes from both boxes."""
    screened = checkin.triage_result.get("free_text") or {}
    return screened.get("outcome") in ("red_flag", "review")
