"""Writes of the outcomes app: the maintained summaries the page reads (``outcomes.models``).

A response or an intake baseline stored or changed (entered in error) refreshes its patient's course
row for that instrument inside the same transaction (``outcomes.apps`` connects both models'
``post_save``), so the page never reads a summary behind the scores it was computed from; an
appointment or a treatment session saved or deleted refreshes the plan's funnel row the same way (an
appointment counts as completed once its session is discharged, ``outcomes.funnel_sql``). ``rebuild_course_summaries`` and ``rebuild_plan_funnels`` recompute
every row (after a bulk load, a restore or a change of definition: `ketacare outcomes-rebuild`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from ketacare.core.instruments import get_instrument
from ketacare.outcomes.course_sql import store_summaries
from ketacare.outcomes.funnel_sql import store_plan_funnels
from ketacare.outcomes.models import CourseSummary, PlanFunnel
from ketacare.outcomes.selectors import ENDPOINT_WINDOW, outcome_instruments
from ketacare.treatments.models import Appointment


def refresh_course_summary(*, patient_id: int, instrument_id: str) -> None:
    """Recompute one patient's row for one instrument from their valid scores (no row when none)."""
    if instrument_id not in {i.id for i in outcome_instruments()}:
        return  # a scale without change rules (C-SSRS, MOAA/S) has no course to summarise
    stored = store_summaries([get_instrument(instrument_id)], ENDPOINT_WINDOW.days, patient_id=patient_id)
    if not stored:
        # Every score on the scale was corrected away: the patient leaves the cohort.
        CourseSummary.objects.filter(patient_id=patient_id, instrument_id=instrument_id).delete()


def refresh_summary_on_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """The ``post_save`` receiver of questionnaire responses and intake baselines (``outcomes.apps``)."""
    if raw:
        return  # loaddata: `ketacare outcomes-rebuild` recomputes after a load
    refresh_course_summary(patient_id=instance.patient_id, instrument_id=instance.instrument_id)


def rebuild_course_summaries(*, clinic_ids: Sequence[int]) -> int:
    """Recompute every row of these clinics' patients in one transaction; returns how many rows."""
    with transaction.atomic():
        CourseSummary.objects.filter(clinic_id__in=list(clinic_ids)).delete()
        return store_summaries(outcome_instruments(), ENDPOINT_WINDOW.days, clinic_ids=list(clinic_ids))


def refresh_funnel_on_appointment_change(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """The ``post_save`` and ``post_delete`` receiver of appointments: their plan's completed count."""
    if not raw:
        # By the plan: after a delete the appointment's row is gone.
        store_plan_funnels(plan_id=instance.plan_id)


def refresh_funnel_on_session_change(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """The ``post_save`` and ``post_delete`` receiver of treatment sessions: a discharge completes the
    session's appointment, so the appointment's plan is counted again.

    Only a session booked on an appointment counts, and only a save that may change its state or its
    appointment: the run-sheet saves a session many times while it is under way.
    """
    if raw or instance.appointment_id is None:
        return
    if update_fields is not None and not {"state", "appointment", "appointment_id"} & set(update_fields):
        return
    plan_id = Appointment.objects.filter(pk=instance.appointment_id).values_list("plan_id", flat=True).first()
    if plan_id is not None:
        store_plan_funnels(plan_id=plan_id)


def rebuild_plan_funnels(*, clinic_ids: Sequence[int]) -> int:
    """Recompute the funnel row of every plan of these clinics in one transaction; returns how many rows."""
    with transaction.atomic():
        PlanFunnel.objects.filter(plan__clinic_id__in=list(clinic_ids)).delete()
        return store_plan_funnels(clinic_ids=list(clinic_ids))
