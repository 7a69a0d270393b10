"""Calendar dates typed by people: a sane range, checked before any arithmetic can overflow."""

from __future__ import annotations

import datetime as dt

from django import forms

from ketacare.lib.errors import FieldError

# Far wider than any clinical record (births, consents, schedules) yet far from the ends of Python's
# date range, so adding a day or a time zone offset to an accepted date can never overflow.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)


def check_day(day: dt.date, *, field: str) -> dt.date:
    """``day`` itself, or FieldError naming the field and the allowed range."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise FieldError(
            field, f"{field} {day.isoformat()} is outside the allowed range {EARLIEST_DAY} to {LATEST_DAY}"
        )
    return day


def parse_day(raw: str, *, field: str) -> dt.date:
    """A YYYY-MM-DD text as a date in the sane range, or FieldError naming the field."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise FieldError(field, f"{field} {raw[:20]!r} is not a date (YYYY-MM-DD)") from None
    return check_day(day, field=field)


class DayField(forms.DateField):
    """A form date held to the sane range, with the field's label in the message."""

    def clean(self, value: object) -> dt.date | None:
        day: dt.date | None = super().clean(value)
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(
                f"{day.isoformat()} is outside the allowed range {EARLIEST_DAY} to {LATEST_DAY}"
            )
        return day
