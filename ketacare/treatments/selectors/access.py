"""The doors to a session and an appointment: through `access_patient`, audited either way."""

from __future__ import annotations

import uuid

from django.http import Http404

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.treatments.models import Appointment, TreatmentSession


def _deny(user: User, action: str, object_type: str, object_id: str) -> Http404:
    record_access_event(
        user=user, action=action, outcome="denied", object_type=object_type, object_id=object_id
    )
    return Http404("Not found")


def access_session(user: User, public_id: uuid.UUID | str, *, action: str = "read") -> TreatmentSession:
    """Return the session if this user may see its patient, else raise Http404 (audited either way)."""
    object_id = str(public_id)[:64]
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise _deny(user, action, "treatment_session", object_id) from None
    session = (
        TreatmentSession.objects.select_related("patient__clinic", "clinic", "plan", "appointment")
        .filter(public_id=key)
        .first()
    )
    if session is None:
        raise _deny(user, action, "treatment_session", object_id)
    access_patient(user, session.patient.public_id, action=action)
    return session


def access_appointment(user: User, patient: Patient, public_id: uuid.UUID | str) -> Appointment:
    """Return the patient's appointment (the patient was already reached through access_patient)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("Not found") from None
    appointment = Appointment.objects.filter(public_id=key, patient=patient).select_related("plan").first()
    if appointment is None:
        raise Http404("Not found")
    return appointment
