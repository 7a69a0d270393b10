"""Reads for support people: what each role sees, and nothing else (never journal, scores or messages)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from ketacare.clinics.selectors import clinic_contact
from ketacare.patients.facts import upcoming_appointments
from ketacare.patients.models import Patient
from ketacare.support.models import SupportGrant
from ketacare.support.services import day_bounds, is_active
from ketacare.treatments import instructions
from ketacare.treatments.instructions import red_flag_groups
from ketacare.treatments.selectors import patient_sessions

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


def companion_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """A companion's day: the discharge instructions of that day's session (rules with their end times,
    what is normal, red flags), or, before discharge, the red flags and whom to call.

    Before discharge the red flags are the patient's sheet's own groups, each with its action: a
    companion told to call the emergency number for a craving or a bladder pain would not, and then
    might not for chest pain either.
    """
    patient = grant.patient
    # A companion grant always has its day (invite_support_person); its bounds are the grant's own.
    day = grant.day or grant.valid_from.date()
    start, day_end = day_bounds(patient, day)
    end = grant.valid_until or day_end
    session = (
        patient_sessions(patient)
        .filter(discharged_at__gte=start, discharged_at__lt=day_end, discharged_at__lte=now)
        .order_by("-discharged_at")
        .first()
    )
    return {
        "instructions": instructions.build(session, now) if session is not None else None,
        "red_flag_groups": red_flag_groups(patient.clinic, clinic_contact(patient.clinic, now)),
        "day_end": end,
    }


def supporter_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """An ongoing supporter's view: the patient's upcoming appointments."""
    until = now + dt.timedelta(days=SUPPORTER_HORIZON_DAYS)
    return {"appointments": upcoming_appointments(grant.patient, now=now, until=until)}
