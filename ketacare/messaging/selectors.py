"""Reads for the message thread; the views reach the patient through ``access_patient`` first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from ketacare.clinics.models import Clinic
from ketacare.messaging.models import Message
from ketacare.patients.models import Patient


def thread(patient: Patient) -> QuerySet[Message]:
    """The patient's messages in the order they were sent."""
    return Message.objects.filter(patient=patient).select_related("author").order_by("sent_at", "id")


def thread_message(patient: Patient, public_id: str) -> Message | None:
    """One message of this patient's thread, or None (a malformed or foreign id is None too)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Message.objects.filter(patient=patient, public_id=key).first()


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One patient's thread in the clinic's messages inbox."""

    patient: Any
    unanswered: int
    last_sent_at: Any


def clinic_threads(clinic: Clinic, *, limit: int = 200) -> list[ThreadRow]:
    """The clinic's threads: those waiting for an answer first (oldest waiting first), then the latest."""
    rows = (
        Message.objects.filter(clinic=clinic)
        .values("patient_id")
        .annotate(
            unanswered=Count("id", filter=Q(author_kind=Message.Author.PATIENT, answered_at__isnull=True)),
            last_sent_at=Max("sent_at"),
        )
        .order_by("-unanswered", "-last_sent_at")[:limit]
    )
    patients = Patient.objects.select_related("clinic").in_bulk([r["patient_id"] for r in rows])
    return [ThreadRow(patients[r["patient_id"]], r["unanswered"], r["last_sent_at"]) for r in rows]


def unanswered_count(clinic: Clinic) -> int:
    """How many patient messages at the clinic wait for an answer (the inbox link's badge)."""
    return Message.objects.filter(
        clinic=clinic, author_kind=Message.Author.PATIENT, answered_at__isnull=True
    ).count()
