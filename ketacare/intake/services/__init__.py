"""Writes for intake and screening (records: intake, weights, medicines, screening, baselines,
corrections; decisions: eligibility decisions and consent). Every name is re-exported here.
"""

from __future__ import annotations

from ketacare.intake.services.decisions import (  # noqa: F401
    CONSENT_ROUTES,
    allowed_decisions,
    change_eligibility_decision,
    is_prescriber_at,
    record_consent,
    record_eligibility_decision,
    withdraw_consent,
)
from ketacare.intake.services.records import (  # noqa: F401
    _ALLOWED_DECISIONS,
    BASELINE_ALERT_SOURCES,
    CORRECTABLE,
    FUTURE_TOLERANCE,
    MAX_ERROR_REASON_CHARS,
    MAX_MEDICATION_CHARS,
    MAX_MEDICATIONS,
    MAX_NOTE_CHARS,
    MAX_TEXT_CHARS,
    IntakeError,
    IntakeInputError,
    IntakeNotAllowedError,
    _aware_past,
    _clean_medications,
    _decimal_in_range,
    _no_nul,
    _owned,
    _reason_json,
    _ScreeningInput,
    _supersede,
    _text,
    _ticked_class_text,
    assess_screening,
    checklist_ids,
    mark_entered_in_error,
    preview_medication_flags,
    record_baseline_score,
    record_intake,
    record_medications,
    record_weight,
    run_screening,
)
