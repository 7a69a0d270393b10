"""iCalendar export of appointments (RFC 5545), read back by any calendar and by `icalendar` in tests.

Times are written in UTC ("Z"): every calendar shows them in its own zone, so there is no VTIMEZONE
to keep in step with the tz database. The patient's file names no drug, dose or diagnosis.

Past sessions stay in both files, so a calendar that imported an earlier copy finds each event again by
its UID and updates it: a completed or cancelled session stops saying "confirmed", and a session that is
over stops asking the patient to arrange a ride home.
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

# An event's STATUS (RFC 5545 3.8.1.11) knows TENTATIVE, CONFIRMED and CANCELLED only: a completed
# session has no word there, so its event carries none rather than "confirmed".
EVENT_STATUS: dict[str, str] = {
    Appointment.Status.SCHEDULED.value: "CONFIRMED",
    Appointment.Status.CANCELLED.value: "CANCELLED",
}


# A booked session whose time is over and that was never held: what the appointments page says of it.
PASSED_WORDS = "This appointment time has passed. If you missed it, call the clinic. "


def appointments_ics(patient: Patient, *, audience: Literal["clinic", "patient"]) -> bytes:
    """The patient's appointments as an .ics file: booked ones CONFIRMED, cancelled ones CANCELLED,
    completed ones with no status (every one, past ones too: see the module's note)."""
    clinic = patient.clinic
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add(
        "x-wr-calname",
        f"{clinic.name} appointments" if audience == "patient" else f"{patient.title_label()} appointments",
    )
    now = timezone.now()
    stamp = now.astimezone(dt.UTC)
    appointments = Appointment.objects.filter(patient=patient).select_related("plan").order_by("starts_at")
    for appointment in appointments:
        event = Event()
        event.add("uid", f"{appointment.public_id}@ketacare")
        event.add("dtstamp", stamp)
        start = appointment.starts_at.astimezone(dt.UTC)
        end = start + dt.timedelta(minutes=appointment.duration_min)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("location", clinic.name)
        if audience == "patient":
            summary, description = _patient_words(appointment, clinic.name, over=end <= now)
            event.add("summary", summary)
            event.add("description", f"{description}Clinic phone: {clinic.phone}")
        else:
            phase = appointment.phase.replace("_", " ") or "session"
            event.add("summary", f"{patient.title_label()}: session {appointment.number} ({phase})")
            description = protocol_name(appointment.plan.protocol_id)
            if appointment.dose_rule:
                description += f"; dose: {appointment.dose_rule}"
            event.add("description", description)
        status = EVENT_STATUS.get(appointment.status)
        if status is not None:
            event.add("status", status)
        # Each step an event takes (booked, over, then completed or cancelled) changes what it says:
        # calendars that honour SEQUENCE (RFC 5545 3.8.7.4) take the later copy over the one imported.
        if appointment.status != Appointment.Status.SCHEDULED:
            event.add("sequence", 2)
        elif end <= now:
            event.add("sequence", 1)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def _patient_words(appointment: Appointment, clinic_name: str, *, over: bool) -> tuple[str, str]:
    """The patient's event title and what it asks of them: a ride home only for a session still ahead."""
    if appointment.status == Appointment.Status.CANCELLED:
        return f"Cancelled: treatment session at {clinic_name}", "This session is cancelled. "
    if appointment.status == Appointment.Status.COMPLETED:
        return f"Treatment session at {clinic_name} (completed)", ""
    if over:
        return f"Treatment session at {clinic_name}", PASSED_WORDS
    return f"Treatment session at {clinic_name}", "Please arrange a ride home. "
