"""`when`: a time on the clinic's wall clock, with its date when it is not today (decision 0013).

Use inside `{% timezone zone %}` so "today" is the clinic's date: `{{ session.checked_in_at|when }}` shows
"14:32" today and "Thu 3 Dec, 14:32" on another day.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def when(value: dt.datetime | None) -> str:
    """The time in the active (clinic) zone; the date too when it is not today there."""
    if not isinstance(value, dt.datetime):
        return ""
    zone = timezone.get_current_timezone()
    local = value.astimezone(zone) if timezone.is_aware(value) else value
    today = timezone.now().astimezone(zone).date()
    return date_format(local, "H:i" if local.date() == today else "D j M, H:i")
