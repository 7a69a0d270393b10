"""One patient's plan, sessions, doses and appointments.

The dose and appointment facts are what sibling record apps read through `ketacare.patients.facts`
(registered in `ketacare.treatments.apps`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DecimalField, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from ketacare.core.protocols import get_protocol
from ketacare.patients.facts import Dose, DoseStart, UpcomingAppointment
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, DoseAdministration, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors.run_sheet import LIVE_STATES


def current_plan(patient: Patient) -> TreatmentPlan | None:
    """The patient's active plan, newest first."""
    return (
        TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ACTIVE)
        .order_by("-created_at")
        .first()
    )


# The ended plans the plan page lists: a patient has had a few courses at most.
ENDED_PLANS_SHOWN = 20


@dataclass(frozen=True)
class EndedPlan:
    """An ended plan as the plan page tells it: how and when it ended, by whom, why, and what was held."""

    plan: TreatmentPlan
    name: str  # the protocol's name, and the preset's when it has one
    status_words: str  # "Completed", "Discontinued", or "Ended" when the plan did not record which
    ended_at: dt.datetime | None
    ended_by: str  # the prescriber's name; "" when not recorded
    reason: str
    first_session_at: dt.datetime | None
    last_held_at: dt.datetime | None  # the last appointment held (completed), if any
    held: int
    planned: int
    cancelled: int
    maintenance_held: int  # maintenance sessions held (completed)
    maintenance_cancelled: int  # maintenance sessions booked and cancelled (with the plan, or before)

    @property
    def maintenance_words(self) -> str:
        """What became of maintenance on this course, not what the plan said before it ended (a policy of
        "decide at the end-of-induction review" reads as a decision still to come on a course that is over)."""
        if self.maintenance_held:
            held = f"{self.maintenance_held} session{'s' if self.maintenance_held != 1 else ''} held"
        else:
            held = "None held"
        if self.maintenance_cancelled:
            return f"{held} ({self.maintenance_cancelled} booked and cancelled)"
        return held


def ended_plans(patient: Patient) -> list[EndedPlan]:
    """The patient's ended plans, newest first (at most ``ENDED_PLANS_SHOWN``), with their appointments
    counted. A plan ended before the plan kept how it ended takes the patient's stage when it is the
    newest and the patient is completed or discontinued."""
    appointment = Appointment.Status
    plans = list(
        TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ENDED)
        .select_related("ended_by")
        .annotate(
            n_planned=Count("appointments"),
            n_held=Count("appointments", filter=Q(appointments__status=appointment.COMPLETED)),
            n_cancelled=Count("appointments", filter=Q(appointments__status=appointment.CANCELLED)),
            n_maintenance_held=Count(
                "appointments",
                filter=Q(appointments__phase="maintenance", appointments__status=appointment.COMPLETED),
            ),
            n_maintenance_cancelled=Count(
                "appointments",
                filter=Q(appointments__phase="maintenance", appointments__status=appointment.CANCELLED),
            ),
            first_at=Min("appointments__starts_at"),
            last_held=Max("appointments__starts_at", filter=Q(appointments__status=appointment.COMPLETED)),
        )
        .order_by("-created_at", "-id")[:ENDED_PLANS_SHOWN]
    )
    finished = {Patient.Stage.COMPLETED, Patient.Stage.DISCONTINUED}
    out = []
    for index, plan in enumerate(plans):
        if plan.ended_as:
            words = plan.get_ended_as_display()
        elif index == 0 and patient.stage in finished:
            words = patient.get_stage_display()
        else:
            words = plan.get_status_display()
        out.append(
            EndedPlan(
                plan=plan,
                name=plan_name(plan),
                status_words=str(words),
                ended_at=plan.ended_at,
                ended_by=plan.ended_by.full_name if plan.ended_by is not None else "",
                reason=plan.end_reason,
                first_session_at=plan.first_at,  # type: ignore[attr-defined]  # annotated above
                last_held_at=plan.last_held,  # type: ignore[attr-defined]
                held=plan.n_held,  # type: ignore[attr-defined]
                planned=plan.n_planned,  # type: ignore[attr-defined]
                cancelled=plan.n_cancelled,  # type: ignore[attr-defined]
                maintenance_held=plan.n_maintenance_held,  # type: ignore[attr-defined]
                maintenance_cancelled=plan.n_maintenance_cancelled,  # type: ignore[attr-defined]
            )
        )
    return out


def plan_name(plan: TreatmentPlan) -> str:
    """The protocol's name and the preset's (people read names, not the data's ids)."""
    try:
        protocol = get_protocol(plan.protocol_id)
    except ValueError:
        return "Treatment plan"
    try:
        preset = protocol.preset(plan.preset_id).name if plan.preset_id else ""
    except ValueError:
        preset = ""
    return f"{protocol.name} · {preset}" if preset else protocol.name


def patient_sessions(patient: Patient) -> QuerySet[TreatmentSession]:
    """A patient's sessions, newest first."""
    return TreatmentSession.objects.filter(patient=patient).order_by("-scheduled_at")


def _dosed(patient: Patient, *, now: dt.datetime) -> QuerySet[TreatmentSession]:
    """The patient's sessions whose dose started up to ``now``, cancelled ones left out."""
    return TreatmentSession.objects.filter(
        patient=patient, dose_started_at__isnull=False, dose_started_at__lte=now
    ).exclude(state=TreatmentSession.State.CANCELLED)


def _dosed_sessions(patient: Patient, *, now: dt.datetime) -> QuerySet[TreatmentSession]:
    """``_dosed``, each session with its total given dose (doses entered in error left out) summed by
    the database."""
    given = (
        DoseAdministration.objects.filter(session=OuterRef("pk"), entered_in_error=False)
        .order_by()
        .values("session")
        .annotate(total=Sum("dose_mg"))
        .values("total")
    )
    return (
        _dosed(patient, now=now)
        .annotate(given_mg=Subquery(given, output_field=DecimalField(max_digits=9, decimal_places=2)))
        .only("public_id", "route", "dose_started_at", "dose_ended_at")
    )


def _dose(session: TreatmentSession) -> Dose:
    given = session.given_mg  # type: ignore[attr-defined]  # annotated by _dosed_sessions
    return Dose(
        route=session.route,
        started_at=session.dose_started_at,  # type: ignore[arg-type]  # filtered non-null
        ended_at=session.dose_ended_at,
        session_public_id=str(session.public_id),
        dose_mg=float(given) if given else None,
    )


def patient_doses(patient: Patient, *, now: dt.datetime) -> list[Dose]:
    """Every dose the patient has started up to ``now`` (cancelled sessions left out), oldest first."""
    return [_dose(s) for s in _dosed_sessions(patient, now=now).order_by("dose_started_at", "id")]


def last_dose(patient: Patient, *, now: dt.datetime) -> Dose | None:
    """The most recent dose started at or before ``now``, or None when none is on record.

    One query served by ``session_patient_dose_idx``: its cost does not grow with the patient's history.
    """
    session = _dosed_sessions(patient, now=now).order_by("-dose_started_at", "-id").first()
    return _dose(session) if session is not None else None


def last_dose_start(patient: Patient, *, now: dt.datetime) -> DoseStart | None:
    """The most recent dose at or before ``now`` without its amount, or None when none is on record.

    ``last_dose``'s row without the summed amount, whose subquery was more than half of that query's
    cost; a check-in (the busiest write) and the patient home need only these. Same index, same row.
    """
    row = (
        _dosed(patient, now=now)
        .order_by("-dose_started_at", "-id")
        .values_list("route", "dose_started_at", "dose_ended_at", "public_id")
        .first()
    )
    if row is None:
        return None
    route, started_at, ended_at, public_id = row
    assert started_at is not None  # noqa: S101 - filtered non-null above
    return DoseStart(route=route, started_at=started_at, ended_at=ended_at, session_public_id=str(public_id))


# A session under way: checked in and not yet discharged or cancelled.
IN_PROGRESS_STATES = (
    TreatmentSession.State.CHECKED_IN,
    TreatmentSession.State.DOSING,
    TreatmentSession.State.OBSERVING,
    TreatmentSession.State.READY_FOR_DISCHARGE,
)


def next_appointment(patient: Patient, *, now: dt.datetime) -> UpcomingAppointment | None:
    """The next scheduled appointment after ``now`` (None when none is booked). One whose session has
    begun (a patient checked in early for a later booking) is the session under way, not the next one."""
    first = (
        Appointment.objects.filter(patient=patient, starts_at__gt=now, status=Appointment.Status.SCHEDULED)
        .exclude(session__state__in=IN_PROGRESS_STATES)
        .select_related("plan")
        .order_by("starts_at", "id")
        .first()
    )
    if first is None:
        return None
    return UpcomingAppointment(
        starts_at=first.starts_at,
        route=first.plan.route,
        kind=first.phase or "session",
        public_id=str(first.public_id),
    )


def upcoming_appointments(
    patient: Patient, *, now: dt.datetime, until: dt.datetime
) -> list[UpcomingAppointment]:
    """Scheduled appointments between ``now`` and ``until``, in time order."""
    rows = (
        Appointment.objects.filter(
            patient=patient, starts_at__gt=now, starts_at__lte=until, status=Appointment.Status.SCHEDULED
        )
        .select_related("plan")
        .order_by("starts_at", "id")
    )
    return [
        UpcomingAppointment(a.starts_at, a.plan.route, a.phase or "session", str(a.public_id)) for a in rows
    ]


def patient_route(patient: Patient, *, now: dt.datetime) -> str:
    """The route the patient is treated with: the last dose's, else the latest plan's, else ""."""
    dose = last_dose_start(patient, now=now)
    if dose is not None and dose.route:
        return dose.route
    plan = TreatmentPlan.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    return plan.route if plan is not None else ""


def maintenance_started_at(patient: Patient, *, now: dt.datetime) -> dt.datetime | None:
    """When the first maintenance dose started (the anchor of the maintenance interval), or None."""
    first = (
        TreatmentSession.objects.filter(
            patient=patient, appointment__phase="maintenance", dose_started_at__lte=now
        )
        .exclude(state=TreatmentSession.State.CANCELLED)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
        .first()
    )
    return first


# A dosing visit lasts hours, not a day (check-in, the dose, observation): a session still open longer
# after its check-in was left open by mistake, and a patient at home must not be told "tell the staff
# in the room" on its account. Clinic practice.
IN_THE_CHAIR_AT_MOST = dt.timedelta(hours=12)


def at_the_clinic(patient: Patient) -> bool:
    """Whether the patient has a session in the chair now (checked in, dosing, observed, or ready to go)
    checked in within ``IN_THE_CHAIR_AT_MOST``."""
    return TreatmentSession.objects.filter(
        patient=patient,
        state__in=LIVE_STATES,
        checked_in_at__gte=timezone.now() - IN_THE_CHAIR_AT_MOST,
    ).exists()
