"""The companion sections of the patient's home page (context only; the template is _home_sections)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ketacare.checkins.preparation import preparation_items
from ketacare.checkins.selectors import last_dose, next_appointment, patient_route, preparation_ticks
from ketacare.checkins.timeline import timeline
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import due_assignments


def home_context(patient: Patient) -> dict[str, Any]:
    """Time since the last session and what to expect, active rules, next appointment, due questionnaires."""
    now = timezone.now()
    dose = last_dose(patient, now=now)
    appointment = next_appointment(patient, now=now)
    route = appointment.route if appointment and appointment.route else patient_route(patient, now=now)
    items = preparation_items(route)
    ticks = preparation_ticks(patient=patient, session_key=appointment.public_id if appointment else "next")
    return {
        "last_dose": dose,
        "timeline": timeline(
            route=dose.route, started_at=dose.started_at, now=now, time_zone=patient.time_zone
        )
        if dose
        else None,
        "appointment": appointment,
        "prep_total": len(items),
        "prep_done": sum(1 for i in items if ticks.get(i.id)),
        "due_questionnaires": list(due_assignments(patient=patient, now=now)[:10]),
    }
