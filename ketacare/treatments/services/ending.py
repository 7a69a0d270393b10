"""Ending a treatment plan: the course completed or discontinued, by a prescriber, with its reason.

An ended plan keeps every appointment and session it had; the ones not yet begun are cancelled with it,
so nothing stays booked on a course that is over. The patient's stage follows in the same transaction
(completed or discontinued, once no other plan of theirs is active). A new course is a new plan
(`create_treatment_plan`), which starts the patient's stage again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.patients.services import end_course
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors import LIVE_STATES, clinic_zone
from ketacare.treatments.selectors.run_sheet import unresolved_safety_alerts
from ketacare.treatments.services._common import check_text, set_appointment_status
from ketacare.treatments.services.pathway import require_prescriber

# What a session cancelled because its plan ended says, on its run-sheet and the patient's appointments.
CANCELLED_WITH_THE_PLAN = "The treatment plan ended before this session."


def end_treatment_plan(
    *,
    plan: TreatmentPlan,
    user: User,
    ended_as: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> TreatmentPlan:
    """End an active plan as completed or discontinued (a prescriber's decision), with an optional reason.

    Refused while one of its sessions is in the chair (discharge or cancel it first), and while the
    patient has an unresolved suicide-risk or emergency alert (`ending_blocking_alerts`): a course
    does not end, and the patient's phone does not say so, before someone has assessed them and
    recorded what was done (decision 0013). Its appointments
    still scheduled whose session has not begun are cancelled (`sessions_cancelled_by_ending` counts
    them beforehand). The patient's stage becomes ``ended_as`` unless another of their plans is still
    active. ``now`` is when the plan ends (the clock unless a caller replays history). The caller's
    write audit row (the page's or the API's ``access_patient(action="write")``) records who ended it.
    """
    require_prescriber(user, plan.clinic_id, field="ended_as", action="end a treatment plan")
    if ended_as not in TreatmentPlan.Ending.values:
        raise FieldError(
            "ended_as",
            f"ended_as {ended_as!r} is not one of {', '.join(TreatmentPlan.Ending.values)}",
        )
    reason = check_text("end_reason", reason)
    now = now or timezone.now()
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != TreatmentPlan.Status.ACTIVE:
            raise ConflictError("plan", "this treatment plan has already ended")
        if plan.sessions.filter(state__in=LIVE_STATES).exists():
            raise ConflictError(
                "plan",
                "a session of this plan is under way: discharge or cancel it before ending the plan",
            )
        blocking = ending_blocking_alerts(plan)
        if blocking:
            raise ConflictError("plan", blocking_alerts_message(plan, blocking))
        not_begun = TreatmentSession.objects.select_for_update().filter(
            plan=plan, state=TreatmentSession.State.SCHEDULED
        )
        for session in not_begun:
            session.state = TreatmentSession.State.CANCELLED
            session.cancelled_at = now
            session.cancel_reason = CANCELLED_WITH_THE_PLAN
            session.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        # No session is under way (refused above), so every appointment still scheduled is one not begun.
        scheduled = plan.appointments.filter(status=Appointment.Status.SCHEDULED)
        for appointment_id in scheduled.values_list("pk", flat=True):
            set_appointment_status(appointment_id, Appointment.Status.CANCELLED)
        plan.status = TreatmentPlan.Status.ENDED
        plan.ended_as = ended_as
        plan.ended_at = now
        plan.ended_by = user
        plan.end_reason = reason
        plan.save(update_fields=["status", "ended_as", "ended_at", "ended_by", "end_reason"])
        still_active = TreatmentPlan.objects.filter(
            patient_id=plan.patient_id, status=TreatmentPlan.Status.ACTIVE
        ).exists()
        if not still_active:
            end_course(patient=plan.patient, ended_as=ended_as)
    return plan


def sessions_cancelled_by_ending(plan: TreatmentPlan) -> int:
    """How many booked sessions ending ``plan`` now would cancel (those not yet begun), for the
    confirmation the prescriber gives before ending it."""
    return plan.sessions.filter(state=TreatmentSession.State.SCHEDULED).count()


def ending_blocking_alerts(plan: TreatmentPlan) -> list[Alert]:
    """The patient's unresolved suicide-risk and emergency alerts, which hold the end of the course as
    they hold a dose and a discharge; no override covers them (decision 0013)."""
    return unresolved_safety_alerts(patient_id=plan.patient_id, clinic_id=plan.clinic_id)


def blocking_alerts_message(plan: TreatmentPlan, alerts: list[Alert]) -> str:
    """The refusal's words, naming each alert and when it was raised (clinic time)."""
    zone = clinic_zone(plan.clinic)
    named = "; ".join(
        f"{a.get_severity_display().lower()} alert \u201c{a.title}\u201d "
        f"(raised {a.created_at.astimezone(zone):%a %-d %b %H:%M})"
        for a in alerts
    )
    return (
        f"The course cannot end while the patient's {named} "
        + ("is" if len(alerts) == 1 else "are")
        + " unresolved: assess the patient and resolve "
        + ("it" if len(alerts) == 1 else "each")
        + " with what was done first, then end the course."
    )
