"""Input checks shared by the course modules; each raises ValueError naming the value and what is allowed."""

from __future__ import annotations

import math
from datetime import datetime


def require_aware(name: str, value: datetime) -> None:
    """Refuse a ``value`` that is not a timezone-aware datetime: calendar reasoning needs the zone."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} is naive; give a timezone-aware datetime")


def check_int_range(name: str, value: object, low: int, high: int) -> None:
    """Refuse a ``value`` that is not a whole number in ``low``-``high`` (inclusive; a bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} {value!r} is out of range; expected a whole number {low}-{high}")


def check_number(name: str, value: object) -> float:
    """Return ``value`` as a float; refuse a bool, a non-number, infinity and NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)
