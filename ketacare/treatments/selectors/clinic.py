"""The active clinic's lists: the day's sessions with their overdue checkpoints, and the REMS forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.clinics.hours import Interval, is_open
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import opening_intervals
from ketacare.treatments.models import Appointment, RemsForm, TreatmentSession
from ketacare.treatments.selectors._common import clinic_zone
from ketacare.treatments.selectors.run_sheet import (
    LIVE_STATES,
    CheckpointView,
    checkpoints,
    effective_state,
    minutes_since_dose_end,
)


def day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of `day` in the clinic's zone, as aware datetimes."""
    zone = clinic_zone(clinic)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def outside_opening_hours(clinic: Clinic, appointments: list[Appointment]) -> set[int]:
    """The ids of booked appointments not yet started that start or end outside the clinic's opening
    hours (none when the clinic has entered no hours: then nothing is known to be outside them)."""
    intervals = opening_intervals(clinic)
    if not intervals:
        return set()
    zone = clinic_zone(clinic)
    outside = set()
    for appointment in appointments:
        session = getattr(appointment, "session", None)
        if appointment.status != Appointment.Status.SCHEDULED or (
            session is not None and session.state != TreatmentSession.State.SCHEDULED
        ):
            continue
        if not within_opening_hours(
            intervals, appointment.starts_at.astimezone(zone), appointment.duration_min
        ):
            outside.add(appointment.pk)
    return outside


def within_opening_hours(intervals: list[Interval], starts: dt.datetime, duration_min: int) -> bool:
    """Whether an appointment starting at ``starts`` (clinic time) begins and ends in opening hours."""
    # The last minute of the appointment must fall in hours too: a session may not outlast closing.
    ends = starts + dt.timedelta(minutes=max(duration_min - 1, 0))
    return is_open(intervals, starts) and is_open(intervals, ends) and ends.date() == starts.date()


def today_in(clinic: Clinic, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(clinic_zone(clinic)).date()


@dataclass(frozen=True)
class DayRow:
    session: TreatmentSession
    state: str
    state_label: str
    overdue: list[CheckpointView]
    minutes_observed: float | None
    # The patient's unresolved urgent or emergency alerts raised since the day began: a critical
    # reading in the chair, a red flag from home, shown where the nurses look during the day.
    alerts: tuple[Alert, ...] = ()


def clinic_day(clinic: Clinic, day: dt.date, now: dt.datetime) -> list[DayRow]:
    """The clinic's sessions on `day` (clinic zone) with their state and overdue checkpoints."""
    start, end = day_bounds(clinic, day)
    sessions = list(
        TreatmentSession.objects.filter(clinic=clinic, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("patient")
        .order_by("scheduled_at", "id")
    )
    rows = []
    labels = dict(TreatmentSession.State.choices)
    severe: dict[int, list[Alert]] = {}
    for alert in (
        Alert.objects.filter(
            clinic=clinic,
            patient_id__in={s.patient_id for s in sessions},
            severity__in=(Alert.Severity.EMERGENCY, Alert.Severity.URGENT),
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(state=Alert.State.RESOLVED)
        .select_related("acknowledged_by")
        .only(
            "public_id",
            "patient_id",
            "severity",
            "title",
            "state",
            "created_at",
            "acknowledged_by__full_name",
            "acknowledged_by__email",
        )
        .order_by("created_at", "id")
    ):
        severe.setdefault(alert.patient_id, []).append(alert)  # type: ignore[arg-type]
    for listed in severe.values():
        # Emergencies first in a row, each severity in the order raised: the eye lands on the worst.
        listed.sort(key=lambda a: a.severity != Alert.Severity.EMERGENCY)
    for session in sessions:
        state = effective_state(session, now)
        overdue = (
            [c for c in checkpoints(session, now) if c.status == "overdue"] if state in LIVE_STATES else []
        )
        rows.append(
            DayRow(
                session,
                state,
                labels[state],
                overdue,
                minutes_since_dose_end(session, now),
                tuple(severe.get(session.patient_id, ())),
            )
        )
    return rows


def forms_due(clinic: Clinic) -> QuerySet[RemsForm]:
    """The clinic's REMS forms not yet submitted, soonest deadline first."""
    return (
        RemsForm.objects.filter(clinic=clinic, submitted_at__isnull=True)
        .select_related("patient", "session")
        .order_by("due_at", "id")
    )


def recent_submitted_forms(clinic: Clinic, limit: int = 25) -> list[RemsForm]:
    return list(
        RemsForm.objects.filter(clinic=clinic, submitted_at__isnull=False)
        .select_related("patient", "session")
        .order_by("-submitted_at")[:limit]
    )


def clinic_booked_starts(clinic: Clinic, *, now: dt.datetime) -> list[dt.datetime]:
    """When each visit booked at the clinic after ``now`` starts, in time order (patients.facts).

    A booked visit is a scheduled appointment whose session has not begun, or a scheduled session
    booked without an appointment; a session laid out for an appointment counts once.
    """
    appointments = Appointment.objects.filter(
        clinic=clinic, starts_at__gt=now, status=Appointment.Status.SCHEDULED
    ).filter(Q(session__isnull=True) | Q(session__state=TreatmentSession.State.SCHEDULED))
    sessions = TreatmentSession.objects.filter(
        clinic=clinic,
        scheduled_at__gt=now,
        state=TreatmentSession.State.SCHEDULED,
        appointment__isnull=True,
    )
    return sorted(
        [*appointments.values_list("starts_at", flat=True), *sessions.values_list("scheduled_at", flat=True)]
    )
