"""Writes for treatments: one transaction each, keyword-only arguments, `ketacare.lib.errors` refusals.

Clinical rules come from the core; a refused write stores nothing. One module per part of the
course: plans, their appointments, the end of a plan, check-in (with the questionnaires due before the
dose), dosing, observation, discharge and the REMS form.
"""

from __future__ import annotations

from ketacare.treatments.services._common import CLOCK_SKEW, MAX_TEXT
from ketacare.treatments.services.appointments import (
    book_maintenance_session,
    cancel_session,
    reschedule_appointment,
)
from ketacare.treatments.services.check_in import (
    MAX_CHECK_IN_AGE,
    check_in_session,
    record_pre_dose_questionnaire,
    skip_pre_dose_questionnaire,
)
from ketacare.treatments.services.discharge import discharge_session
from ketacare.treatments.services.dosing import end_dosing, override_hold, record_dose
from ketacare.treatments.services.ending import end_treatment_plan
from ketacare.treatments.services.observation import (
    UNITS,
    mark_entered_in_error,
    record_adverse_event,
    record_observation,
    record_vital_signs,
)
from ketacare.treatments.services.plans import create_treatment_plan
from ketacare.treatments.services.rems import REMS_EDITABLE, update_rems_form

__all__ = [
    "CLOCK_SKEW",
    "MAX_CHECK_IN_AGE",
    "MAX_TEXT",
    "REMS_EDITABLE",
    "UNITS",
    "book_maintenance_session",
    "cancel_session",
    "check_in_session",
    "create_treatment_plan",
    "discharge_session",
    "end_dosing",
    "end_treatment_plan",
    "mark_entered_in_error",
    "override_hold",
    "record_adverse_event",
    "record_dose",
    "record_observation",
    "record_pre_dose_questionnaire",
    "record_vital_signs",
    "reschedule_appointment",
    "skip_pre_dose_questionnaire",
    "update_rems_form",
]
