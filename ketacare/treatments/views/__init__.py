"""Treatment plan, run-sheet, discharge, REMS and clinic day pages (htmx, tablet-first).

One module per page family; `urls.py` names the views through this package.
"""

from __future__ import annotations

from ketacare.treatments.views.actions import (
    adverse_event,
    cancel,
    check_in,
    check_in_confirmations,
    discharge,
    dose,
    end_dosing,
    entered_in_error,
    hold_override,
    observation,
    vitals,
)
from ketacare.treatments.views.day import clinic_day
from ketacare.treatments.views.instructions import discharge_instructions, discharge_instructions_pdf
from ketacare.treatments.views.patient import my_appointments, my_appointments_ics
from ketacare.treatments.views.plans import appointment_reschedule, book_maintenance, end_plan, plan, plan_ics
from ketacare.treatments.views.pre_dose import pre_dose_questionnaire, pre_dose_questionnaire_skip
from ketacare.treatments.views.rems import (
    REMS_CSV_FIELDS,
    rems_form,
    rems_form_csv,
    rems_form_pdf,
    rems_forms_due,
)
from ketacare.treatments.views.sheet import run_sheet

__all__ = [
    "REMS_CSV_FIELDS",
    "adverse_event",
    "appointment_reschedule",
    "book_maintenance",
    "cancel",
    "check_in",
    "check_in_confirmations",
    "clinic_day",
    "discharge",
    "discharge_instructions",
    "discharge_instructions_pdf",
    "dose",
    "end_dosing",
    "end_plan",
    "entered_in_error",
    "hold_override",
    "my_appointments",
    "my_appointments_ics",
    "observation",
    "plan",
    "plan_ics",
    "pre_dose_questionnaire",
    "pre_dose_questionnaire_skip",
    "rems_form",
    "rems_form_csv",
    "rems_form_pdf",
    "rems_forms_due",
    "run_sheet",
    "vitals",
]
