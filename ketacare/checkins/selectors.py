"""Reads for check-ins."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from ketacare.accounts.models import User
from ketacare.checkins.models import PreparationTick, SymptomCheckin, SymptomReport
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


def preparation_ticks(*, patient: Patient, session_key: str) -> dict[str, bool]:
    """item id -> ticked, for the session the patient is preparing for."""
    ticks = PreparationTick.objects.filter(patient=patient, session_key=session_key)
    return {t.item_id: t.done for t in ticks}


def access_checkin(user: User, public_id: str, *, action: str = "read") -> SymptomCheckin:
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
