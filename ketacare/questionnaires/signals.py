"""Events of the questionnaires app that apps on higher floors react to (docs/decisions/0010)."""

from __future__ import annotations

import datetime as dt

from django.dispatch import Signal

# Sent inside the submission's transaction once a valid response is stored, with ``patient`` and
# ``now``: a receiver's writes (e.g. a course alert) commit or roll back with the response itself.
response_stored = Signal()

COURSE_ALERT_KEY_PREFIX = "course:"


def course_alert_key(instrument_id: str, code: str, measured_at: dt.datetime) -> str:
    """The dedupe key of the course alert (worsening, loss of response) a receiver raises for the score
    stored at ``measured_at``: one alert per rule and score, and the result page reads it to tell the
    patient whether their care team was alerted by this answer."""
    return f"{COURSE_ALERT_KEY_PREFIX}{instrument_id}:{code}:{measured_at.isoformat()}"[:120]
