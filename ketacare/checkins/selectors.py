"""Reads for check-ins, and the dosing facts the patient pages need (read from `treatments`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ketacare.checkins.models import PreparationTick, SymptomCheckin, SymptomReport
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession


@dataclass(frozen=True, slots=True)
class Dose:
    """The start of one dose: what the personal timeline and triage count from."""

    route: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    session_public_id: str
    dose_mg: float | None = None


@dataclass(frozen=True, slots=True)
class UpcomingAppointment:
    """The next booked visit (a dosing session or another appointment)."""

    starts_at: dt.datetime
    route: str
    kind: str
    public_id: str


def patient_doses(patient: Patient, *, now: dt.datetime) -> list[Dose]:
    """Every dose the patient has started up to ``now`` (cancelled sessions left out), oldest first."""
    sessions = (
        TreatmentSession.objects.filter(
            patient=patient, dose_started_at__isnull=False, dose_started_at__lte=now
        )
        .exclude(state=TreatmentSession.State.CANCELLED)
        .order_by("dose_started_at", "id")
    )
    return [
        Dose(
            route=s.route,
            started_at=s.dose_started_at,  # type: ignore[arg-type]  # filtered non-null above
            ended_at=s.dose_ended_at,
            session_public_id=str(s.public_id),
            dose_mg=sum((float(d.dose_mg) for d in s.doses.all() if not d.entered_in_error), 0.0) or None,
        )
        for s in sessions.prefetch_related("doses")
    ]


def last_dose(patient: Patient, *, now: dt.datetime) -> Dose | None:
    """The most recent dose started at or before ``now``, or None when none is on record."""
    doses = patient_doses(patient, now=now)
    return doses[-1] if doses else None


def next_appointment(patient: Patient, *, now: dt.datetime) -> UpcomingAppointment | None:
    """The next scheduled appointment after ``now`` (None when none is booked)."""
    first = (
        Appointment.objects.filter(patient=patient, starts_at__gt=now, status=Appointment.Status.SCHEDULED)
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
    dose = last_dose(patient, now=now)
    if dose is not None and dose.route:
        return dose.route
    plan = TreatmentPlan.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    return plan.route if plan is not None else ""


def patient_checkins(*, patient: Patient) -> QuerySet[SymptomCheckin]:
    """The patient's valid check-ins, newest first (patient already authorised)."""
    return SymptomCheckin.objects.filter(patient=patient, status=SymptomCheckin.Status.VALID).order_by(
        "-submitted_at", "-id"
    )


def patient_symptoms(*, patient: Patient) -> QuerySet[SymptomReport]:
    """The patient's recorded symptoms, newest first (patient already authorised)."""
    return SymptomReport.objects.filter(patient=patient).order_by("-started_at", "-id")


def preparation_ticks(*, patient: Patient, session_key: str) -> dict[str, bool]:
    """item id -> ticked, for the session the patient is preparing for."""
    ticks = PreparationTick.objects.filter(patient=patient, session_key=session_key)
    return {t.item_id: t.done for t in ticks}


def access_checkin(user: Any, public_id: str, *, action: str = "read") -> SymptomCheckin:
    """Return one check-in if the user may see its patient, else Http404 (audited through access_patient)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such check-in") from None
    checkin = SymptomCheckin.objects.select_related("patient").filter(public_id=key).first()
    if checkin is None:
        raise Http404("No such check-in")
    access_patient(user, checkin.patient.public_id, action=action)
    return checkin
