"""Patient search words: "chloe" finds "Chloé O'Brien", "smith aaron" finds "Aaron Smith", "000016"
finds record number "A-000016".

Names and record numbers are folded to plain lower-case words (accents dropped, apostrophes joined,
other punctuation a break between words) and stored on the patient (``Patient.search_text``), so the
same filter works on SQLite and PostgreSQL without a database extension. A search matches a patient
when every word of it is part of a word of theirs, in any order.
"""

from __future__ import annotations

import re
import unicodedata

# Letters Unicode does not decompose into a base letter and an accent.
_FOLDED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
# "O'Brien" is one name: searched as "obrien", "o'brien" or "brien".
_APOSTROPHES = re.compile(r"['’ʼ`´]")
_WORD = re.compile(r"[^\W_]+")
# A search of more words than this is cut: no name needs more, and each word is one more condition.
MAX_QUERY_WORDS = 8


def search_words(text: str) -> list[str]:
    """``text`` as plain lower-case words: "Chloé O'Brien" -> ["chloe", "obrien"], "A-000016" -> ["a", "000016"]."""
    joined = _APOSTROPHES.sub("", str(text or "").casefold())
    plain = "".join(c for c in unicodedata.normalize("NFKD", joined) if not unicodedata.combining(c))
    return _WORD.findall(plain.translate(_FOLDED))


def search_text(*, full_name: str, preferred_name: str, medical_record_number: str) -> str:
    """What ``Patient.search_text`` holds: the words of the names and the record number, and the record
    number's words run together too ("A-000016" is also found as "a000016")."""
    record = search_words(medical_record_number)
    joined = ["".join(record)] if len(record) > 1 else []
    return " ".join(search_words(full_name) + search_words(preferred_name) + record + joined)


def query_words(query: str) -> list[str]:
    """The words a search asks for, each once (the first ``MAX_QUERY_WORDS``).

    A typed piece with digits in it is a record number, searched whole: "B-0000" asks for "b0000" (the
    record number's words run together, as ``search_text`` stores them), not for any "b" and any "0000",
    which would find clinic A's patients named Ben with record numbers A-0000xx.
    """
    words: list[str] = []
    for piece in str(query or "").split():
        parts = search_words(piece)
        if len(parts) > 1 and any(ch.isdigit() for ch in piece):
            words.append("".join(parts))
        else:
            words.extend(parts)
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]
