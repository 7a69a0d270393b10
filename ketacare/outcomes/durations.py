"""Minutes after a dose in the words the outcomes page uses: "45 min", "21 h", "3 days 3 h".

Under 2 hours a duration reads to the minute; up to 2 days in whole hours; beyond, in days and hours.
A range is rounded outwards (its earlier end down, its later end up), so what the page shows always
contains the estimate it stands for and never looks narrower than it is.
"""

from __future__ import annotations

import math
from typing import Literal

Rounding = Literal["down", "up", "nearest"]

_MINUTES_UP_TO = 120  # below 2 hours: minutes
_HOURS_UP_TO = 48  # below 2 days: hours


def _round(value: float, rounding: Rounding) -> int:
    if rounding == "down":
        return math.floor(value + 1e-9)
    if rounding == "up":
        return math.ceil(value - 1e-9)
    return math.floor(value + 0.5)


def minutes_words(minutes: float, *, rounding: Rounding = "nearest") -> str:
    """``minutes`` after the dose in words, rounded to the unit shown in the ``rounding`` direction."""
    if minutes < _MINUTES_UP_TO:
        return f"{_round(minutes, rounding)} min"
    hours = _round(minutes / 60, rounding)
    if hours < _HOURS_UP_TO:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} days" + (f" {rest} h" if rest else "")


def _exact(minutes: float) -> bool:
    """Whether ``minutes`` reads without rounding (a whole minute under 2 hours, a whole hour beyond)."""
    unit = 1 if minutes < _MINUTES_UP_TO else 60
    return abs(minutes / unit - round(minutes / unit)) < 1e-9


def span_words(low: float, high: float) -> str:
    """A median known to lie in [low, high]: "between 21 h and 3 days 3 h", or one time when both
    ends are the same ("about" when it had to be rounded)."""
    if math.isclose(low, high):
        return ("" if _exact(low) else "about ") + minutes_words(low)
    earlier, later = minutes_words(low, rounding="down"), minutes_words(high, rounding="up")
    if earlier == later:
        return ("" if _exact(low) and _exact(high) else "about ") + earlier
    return f"between {earlier} and {later}"
