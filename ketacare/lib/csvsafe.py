"""CSV export guard against spreadsheet formula injection (OWASP "CSV injection")."""

from __future__ import annotations

# A cell starting with one of these runs as a formula when the file is opened in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object, *, keep_numbers: bool = False) -> str:
    """Return the cell as text, prefixed with a quote if a spreadsheet would read it as a formula.

    With `keep_numbers`, a plain number such as "-3.5" stays a number (aggregate tables).
    """
    text = "" if value is None else str(value)
    if text[:1] not in FORMULA_PREFIXES:
        return text
    if keep_numbers:
        try:
            float(text)
        except ValueError:
            pass
        else:
            return text
    return "'" + text
