"""CSV export guard against spreadsheet formula injection (OWASP "CSV injection")."""

from __future__ import annotations

import unicodedata

# A cell whose first visible character is one of these runs as a formula in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@")
# A tab or carriage return first is refused outright: some spreadsheets read it as a cell break.
CONTROL_STARTS = ("\t", "\r")
# Spreadsheets skip leading blanks and line breaks before reading a formula, and map the full-width
# forms (＝ ＋ － ＠, which NFKC folds to = + - @) onto the ASCII ones.
_SKIPPED_LEADERS = " \t\r\n\u00a0\u3000"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read this cell as a formula."""
    if text[:1] in CONTROL_STARTS:
        return True
    lead = text.lstrip(_SKIPPED_LEADERS)[:1]
    return unicodedata.normalize("NFKC", lead) in FORMULA_STARTS


def csv_safe(value: object, *, keep_numbers: bool = False) -> str:
    """Return the cell as text, prefixed with a quote if a spreadsheet would read it as a formula.

    With `keep_numbers`, a plain number such as "-3.5" stays a number (aggregate tables).
    """
    text = "" if value is None else str(value)
    if not looks_like_formula(text):
        return text
    if keep_numbers:
        try:
            float(text)
        except ValueError:
            pass
        else:
            return text
    return "'" + text
