"""A treatment course: the session plan, doses, and the signals read from a patient's scores.

- :func:`plan_sessions` (:mod:`.plan`) lays out the sessions of a protocol (protocols.toml) in the
  patient's time zone, keeping the local wall-clock time of the first session across daylight-saving
  changes, with the end-of-induction review point and the dose (or dose rule) of each session.
- :func:`dose_mg` and :func:`esketamine_devices` (:mod:`.dosing`) turn a prescription into an amount
  and a device count; :func:`next_dose_options` (:mod:`.steps`) gives the label doses allowed next
  (28 mg steps, 84 mg only after 56 mg). Plans carry :class:`PlanFinding` items (more sessions in 7
  days than studied, liver impairment, no label dose for the age) that may need a prescriber's reason.
- :func:`relapse_signals`, :func:`suggest_maintenance_interval` and :func:`flag_induction_dropout`
  (:mod:`.signals`) read the course so far. Response and remission come from
  ``ketacare.core.instruments.classify_change``.

Time: every datetime in and out is timezone-aware; ``now`` is always a parameter. Calendar reasoning
(which day, which week) happens in the patient's IANA zone; durations are absolute.
"""

from __future__ import annotations

from ketacare.core.course.dosing import WEIGHT_KG_RANGE, dose_mg, esketamine_devices
from ketacare.core.course.plan import (
    MAX_MAINTENANCE_SESSIONS,
    CoursePlan,
    Phase,
    PlannedReview,
    PlannedSession,
    plan_sessions,
)
from ketacare.core.course.signals import (
    CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL,
    DROPOUT_CONSECUTIVE_MISSES,
    SESSION_STATUSES,
    UNRECORDED_SESSION_GRACE,
    CourseSignal,
    DropoutFlag,
    MaintenanceSuggestion,
    ScorePoint,
    SessionRecord,
    SessionStatus,
    flag_induction_dropout,
    relapse_signals,
    suggest_maintenance_interval,
)
from ketacare.core.course.steps import (
    FINDING_CODES,
    DoseOptions,
    FindingKind,
    PlanFinding,
    next_dose_options,
)

__all__ = [
    "CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL",
    "DROPOUT_CONSECUTIVE_MISSES",
    "FINDING_CODES",
    "MAX_MAINTENANCE_SESSIONS",
    "SESSION_STATUSES",
    "UNRECORDED_SESSION_GRACE",
    "WEIGHT_KG_RANGE",
    "CoursePlan",
    "CourseSignal",
    "DoseOptions",
    "DropoutFlag",
    "FindingKind",
    "MaintenanceSuggestion",
    "Phase",
    "PlanFinding",
    "PlannedReview",
    "PlannedSession",
    "ScorePoint",
    "SessionRecord",
    "SessionStatus",
    "dose_mg",
    "esketamine_devices",
    "flag_induction_dropout",
    "next_dose_options",
    "plan_sessions",
    "relapse_signals",
    "suggest_maintenance_interval",
]
