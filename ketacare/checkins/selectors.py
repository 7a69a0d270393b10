"""Reads for check-ins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.checkins.models import PreparationTick, SymptomCheckin, SymptomReport
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient


def patient_checkins(*, patient: Patient) -> QuerySet[SymptomCheckin]:
    """The patient's valid check-ins, newest first (patient already authorised)."""
    return SymptomCheckin.objects.filter(patient=patient, status=SymptomCheckin.Status.VALID).order_by(
        "-submitted_at", "-id"
    )


def patient_symptoms(*, patient: Patient) -> QuerySet[SymptomReport]:
    """The patient's recorded symptoms, newest first (patient already authorised)."""
    return SymptomReport.objects.filter(patient=patient).order_by("-started_at", "-id")


@dataclass(frozen=True, slots=True)
class StillOpen:
    """A red flag the patient reported and has not said is gone, with what to do if it is still there."""

    report: SymptomReport
    message: str  # the red flag's own patient message (knowledge base), the one its check-in showed
    emergency: bool


# What to do about an open warning sign while the patient is in the chair (patients/_at_the_clinic.html).
IN_THE_CHAIR_STILL_OPEN = "tell the staff with you now. They are close by and can help at once."


def red_flags_still_open(
    reports: Iterable[SymptomReport],
    *,
    reported_in: SymptomCheckin | None = None,
    in_the_chair: bool = False,
) -> list[StillOpen]:
    """The open red flags among ``reports`` (open episodes), leaving out those ``reported_in`` ticked.

    A red flag closes only when the patient or a clinician says it is gone (docs/decisions/0014), so
    until then every page that reassures the patient also repeats what to do if it is still there: its
    own message, or ``in_the_chair`` (a session checked in, not discharged) to tell the staff in the
    room, since "contact your clinic today" beside "you are at the clinic" is two instructions for one.
    """
    flags = kb.knowledge().red_flags
    found = []
    for report in reports:
        if report.kind != SymptomReport.Kind.RED_FLAG or report.resolved_at is not None:
            continue
        if reported_in is not None and report.last_checkin_id == reported_in.pk:
            continue
        flag = flags.get(report.symptom_id)
        level = Level(flag.level) if flag is not None else Level(report.level)
        message = flag.patient_message if flag is not None else "Contact your clinic now."
        if in_the_chair:
            message = IN_THE_CHAIR_STILL_OPEN
        found.append(StillOpen(report, message, emergency=level >= Level.EMERGENCY))
    return found


def preparation_ticks(*, patient: Patient, session_key: str) -> dict[str, bool]:
    """item id -> ticked, for the session the patient is preparing for."""
    ticks = PreparationTick.objects.filter(patient=patient, session_key=session_key)
    return {t.item_id: t.done for t in ticks}


def access_checkin(user: User, public_id: str, *, action: str = "read") -> SymptomCheckin:
    """Return one check-in if the user may see its patient, else Http404 (audited either way).

    An id that names no check-in leaves a denied row naming the id asked for; another patient's
    check-in is refused by ``access_patient`` (a denied row filed under that patient).
    """
    try:
        key: uuid.UUID | None = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    checkin = (
        SymptomCheckin.objects.select_related("patient", "patient__clinic").filter(public_id=key).first()
        if key
        else None
    )
    if checkin is None:
        record_access_event(
            action=action, outcome="denied", object_type="symptom_checkin", object_id=str(public_id)[:64]
        )
        raise Http404("No such check-in")
    access_patient(user, checkin.patient.public_id, action=action)
    return checkin
