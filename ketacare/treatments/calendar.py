"""iCalendar export of appointments (RFC 5545), read back by any calendar and by `icalendar` in tests.

Times are written in UTC ("Z"): every calendar shows them in its own zone, so there is no VTIMEZONE
to keep in step with the tz database. The patient's file names no drug, dose or diagnosis.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils import timezone
from icalendar import Calendar, Event

from ketacare.core.display import protocol_name
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment

PRODID = "-//KetaCare//treatments//EN"


def appointments_ics(patient: Patient, *, audience: Literal["clinic", "patient"]) -> bytes:
    """The patient's appointments as an .ics file (cancelled ones marked CANCELLED)."""
    clinic = patient.clinic
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add(
        "x-wr-calname",
        f"{clinic.name} appointments" if audience == "patient" else f"{patient.title_label()} appointments",
    )
    stamp = timezone.now().astimezone(dt.UTC)
    appointments = Appointment.objects.filter(patient=patient).select_related("plan").order_by("starts_at")
    for appointment in appointments:
        event = Event()
        event.add("uid", f"{appointment.public_id}@ketacare")
        event.add("dtstamp", stamp)
        start = appointment.starts_at.astimezone(dt.UTC)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=appointment.duration_min))
        event.add("location", clinic.name)
        if audience == "patient":
            event.add("summary", f"Treatment session at {clinic.name}")
            event.add("description", f"Please arrange a ride home. Clinic phone: {clinic.phone}")
        else:
            phase = appointment.phase.replace("_", " ") or "session"
            event.add("summary", f"{patient.title_label()}: session {appointment.number} ({phase})")
            description = protocol_name(appointment.plan.protocol_id)
            if appointment.dose_rule:
                description += f"; dose: {appointment.dose_rule}"
            event.add("description", description)
        event.add(
            "status", "CANCELLED" if appointment.status == Appointment.Status.CANCELLED else "CONFIRMED"
        )
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
