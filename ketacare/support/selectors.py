"""Reads for support people: what each role sees, and nothing else (never journal, scores or messages)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from ketacare.clinics.selectors import clinic_contact
from ketacare.patients.facts import upcoming_appointments
from ketacare.patients.models import Patient
from ketacare.support.models import SupportGrant
from ketacare.support.services import day_bounds, is_active
from ketacare.treatments import instructions
from ketacare.treatments.instructions import red_flag_groups
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors import at_the_clinic, patient_sessions

# How far ahead an ongoing supporter sees appointments (a page length, not a clinical number).
SUPPORTER_HORIZON_DAYS = 90


def patient_grants(patient: Patient) -> QuerySet[SupportGrant]:
    """The people this patient invited, newest first."""
    return SupportGrant.objects.filter(patient=patient)


def active_grant(public_id: str, now: dt.datetime) -> SupportGrant | None:
    """The grant held in a support person's session, while it still works."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    grant = SupportGrant.objects.select_related("patient", "patient__clinic").filter(public_id=key).first()
    return grant if grant is not None and is_active(grant, now) else None


def short_name(patient: Patient) -> str:
    """How the companion's page names the patient in its sentences ("Hiro went home at 11:00"): the
    preferred name, else the first word of the full name."""
    return patient.preferred_name or patient.full_name.split(" ", 1)[0] or patient.full_name


# The rules and their reasons are written to the patient ("when you feel fully normal"); the companion
# reads them about the patient. Every "you" the day rules use, in the words for a third person.
_ABOUT_THEM = (
    ("takes you home", "takes them home"),
    ("you feel", "they feel"),
    ("you leave", "they leave"),
)


def about_them(sentence: str) -> str:
    """A day rule's words as the companion reads them: about the patient, not to them."""
    for yours, theirs in _ABOUT_THEM:
        sentence = sentence.replace(yours, theirs)
    return sentence


def _latest_visit(patient: Patient, start: dt.datetime, day_end: dt.datetime, now: dt.datetime) -> Any:
    """The day's latest visit up to ``now`` (checked in, dosed or discharged that day), or None.

    A later visit supersedes an earlier one: its dose restarts every limit, so the earlier visit's end
    times would be too early."""
    began = Coalesce("checked_in_at", "dose_started_at", "discharged_at")
    return (
        patient_sessions(patient)
        .exclude(state=TreatmentSession.State.CANCELLED)
        .annotate(began=began)
        .filter(
            Q(began__gte=start, began__lt=day_end, began__lte=now)
            | Q(discharged_at__gte=start, discharged_at__lt=day_end, discharged_at__lte=now)
        )
        .order_by("-began", "-id")
        .first()
    )


def companion_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """A companion's day: the discharge instructions of that day's latest session (rules with their end
    times, what is normal, red flags) once the patient has left; while they are in the clinic, that they
    are there; before either, the red flags and whom to call.

    Before discharge the red flags are the patient's sheet's own groups, each with its action: a
    companion told to call the emergency number for a craving or a bladder pain would not, and then
    might not for chest pain either. An earlier session's sheet never stands in for a later one under
    way: its limits count from a dose the later one supersedes.
    """
    patient = grant.patient
    # A companion grant always has its day (invite_support_person); its bounds are the grant's own.
    day = grant.day or grant.valid_from.date()
    start, day_end = day_bounds(patient, day)
    end = grant.valid_until or day_end
    visit = _latest_visit(patient, start, day_end, now)
    sheet: dict[str, Any] | None = None
    if visit is not None and visit.discharged_at is not None and visit.discharged_at <= now:
        sheet = instructions.build(visit, now)
        sheet["rules"] = [
            {**line, "sentence": about_them(line["sentence"]), "reason": about_them(line["reason"])}
            for line in sheet["rules"]
        ]
    return {
        "instructions": sheet,
        "at_the_clinic": visit is not None and visit.discharged_at is None and at_the_clinic(patient),
        "name": short_name(patient),
        "red_flag_groups": red_flag_groups(patient.clinic, clinic_contact(patient.clinic, now)),
        "day_end": end,
        "read_at": now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)),
    }


def supporter_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """An ongoing supporter's view: the patient's upcoming appointments."""
    until = now + dt.timedelta(days=SUPPORTER_HORIZON_DAYS)
    return {"appointments": upcoming_appointments(grant.patient, now=now, until=until)}
