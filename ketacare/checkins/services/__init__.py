"""Writes for check-ins: submission with triage and alerts (submission), symptom episodes (episodes).

The package re-exports every name, so `ketacare.checkins.services.X` keeps working for callers.
"""

from __future__ import annotations

from ketacare.checkins.services.episodes import (  # noqa: F401
    _SEVERITY_ORDER,
    HOLD_DETAIL,
    HOLD_TITLE,
    WORRY_SEVERITY,
    EpisodeAnswer,
    _max_severity,
    _raise_alerts,
    _raise_longer_alert,
    _raise_side_effect_alerts,
    _record_symptoms,
    _threshold,
    answer_episode,
    before_any_dose,
    close_episode_by_clinician,
    open_episodes,
)
from ketacare.checkins.services.errors import (  # noqa: F401
    CheckinError,
)
from ketacare.checkins.services.submission import (  # noqa: F401
    BETWEEN_BOXES,
    HOME_BP_FIELDS,
    MAX_REPORTS,
    NO_DOSE_ROUTE,
    CheckinOutcome,
    HomeBpIn,
    ReportIn,
    _age_years,
    _same_checkin,
    _symptom_name,
    _Triaged,
    onset_from_day,
    own_words,
    submit_checkin,
    tick_preparation,
    triage_to_json,
    validate_checkin,
    validate_home_bp,
)
