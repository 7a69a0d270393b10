"""Reads for treatments: the access functions, the run-sheet state and the clinic's lists.

One module per concern: access, the run-sheet, the clinic's lists, one patient's course (the facts
sibling record apps read), the questionnaires due before a session and the recovery estimate.
"""

from __future__ import annotations

from ketacare.treatments.selectors._common import age_years, clinic_zone, patient_zone
from ketacare.treatments.selectors.access import access_appointment, access_session
from ketacare.treatments.selectors.clinic import (
    DayRow,
    clinic_day,
    day_bounds,
    forms_due,
    recent_submitted_forms,
    today_in,
)
from ketacare.treatments.selectors.pathway import (
    STEP_HOLDS,
    dose_readiness,
    due_today,
    fasting_required,
    label_dose_options,
    open_holds,
    plan_gate,
)
from ketacare.treatments.selectors.patient import (
    current_plan,
    last_dose,
    last_dose_start,
    maintenance_started_at,
    next_appointment,
    patient_doses,
    patient_route,
    patient_sessions,
    upcoming_appointments,
)
from ketacare.treatments.selectors.pre_dose import (
    PreDoseItem,
    pre_dose_assignment,
    pre_dose_questionnaires,
    schedule_id,
)
from ketacare.treatments.selectors.recovery import (
    RECOVERY_POPULATION_SIZE,
    RECOVERY_ROUND_MIN,
    RECOVERY_SEED,
    RecoveryEstimate,
    RecoveryThreshold,
    _cached_timeline,  # the model cache itself: tests read its hits and clear it
    session_recovery_estimate,
)
from ketacare.treatments.selectors.run_sheet import (
    CHECKPOINT_GRACE,
    DOOR_CRITERIA,
    LIVE_STATES,
    CheckpointView,
    as_core_vitals,
    baseline_vitals,
    checkpoints,
    effective_state,
    latest_in_session_vitals,
    minutes_since_dose_end,
    observation_minutes,
    one_read_per_render,
    planned_dosing_minutes,
    readiness,
    route_rules,
    session_settings,
    valid_doses,
    valid_observations,
    valid_vitals,
)

__all__ = [
    "CHECKPOINT_GRACE",
    "DOOR_CRITERIA",
    "LIVE_STATES",
    "RECOVERY_POPULATION_SIZE",
    "RECOVERY_ROUND_MIN",
    "RECOVERY_SEED",
    "STEP_HOLDS",
    "CheckpointView",
    "DayRow",
    "PreDoseItem",
    "RecoveryEstimate",
    "RecoveryThreshold",
    "_cached_timeline",
    "access_appointment",
    "access_session",
    "age_years",
    "as_core_vitals",
    "baseline_vitals",
    "checkpoints",
    "clinic_day",
    "clinic_zone",
    "current_plan",
    "day_bounds",
    "dose_readiness",
    "label_dose_options",
    "due_today",
    "fasting_required",
    "open_holds",
    "plan_gate",
    "effective_state",
    "forms_due",
    "last_dose",
    "last_dose_start",
    "latest_in_session_vitals",
    "maintenance_started_at",
    "minutes_since_dose_end",
    "next_appointment",
    "observation_minutes",
    "one_read_per_render",
    "patient_doses",
    "patient_route",
    "patient_sessions",
    "patient_zone",
    "planned_dosing_minutes",
    "pre_dose_assignment",
    "pre_dose_questionnaires",
    "readiness",
    "recent_submitted_forms",
    "route_rules",
    "schedule_id",
    "session_recovery_estimate",
    "session_settings",
    "today_in",
    "upcoming_appointments",
    "valid_doses",
    "valid_observations",
    "valid_vitals",
]
