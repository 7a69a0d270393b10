"""The patient's own pages (phone-first): upcoming appointments and their calendar file."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.gates import patient_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.patients.selectors import access_patient
from ketacare.treatments.calendar import appointments_ics
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors import LIVE_STATES, current_plan


@patient_required
@require_GET
def my_appointments(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's upcoming appointments (phone-first) with a calendar download."""
    patient = access_patient(request.user, request.user.patient.public_id)
    now = timezone.now()
    upcoming = list(
        patient.appointments.filter(starts_at__gte=now - dt.timedelta(hours=12))
        .exclude(status=Appointment.Status.COMPLETED)
        .order_by("starts_at")
    )
    # The appointment whose session is in the chair now: "you are here", not "arrange a ride".
    live = set(
        TreatmentSession.objects.filter(patient=patient, state__in=LIVE_STATES).values_list(
            "appointment_id", flat=True
        )
    )
    # Booked, its time over and never checked in: said as passed, below the ones still ahead (the
    # calendar file counts an event over at the same booked end).
    passed = [
        a
        for a in upcoming
        if a.status == Appointment.Status.SCHEDULED and a.ends_at <= now and a.pk not in live
    ]
    upcoming = [a for a in upcoming if a not in passed]
    # Cancelled ones are listed small, after the booked: seven cancelled cards of an ended course read
    # as seven bookings.
    cancelled = [a for a in upcoming if a.status == Appointment.Status.CANCELLED]
    upcoming = [a for a in upcoming if a.status != Appointment.Status.CANCELLED]
    earlier = patient.appointments.filter(status=Appointment.Status.COMPLETED).order_by("-starts_at")[:10]
    # With nothing booked, a patient whose course ended is told so, not that the next session is coming.
    course_ended = (
        not any(a.status == Appointment.Status.SCHEDULED for a in upcoming)
        and current_plan(patient) is None
        and patient.treatment_plans.filter(status=TreatmentPlan.Status.ENDED).exists()
    )
    return render(
        request,
        "treatments/my_appointments.html",
        {
            "patient": patient,
            "appointments": upcoming,
            "cancelled": cancelled,
            # A calendar file is worth adding only with something booked ahead.
            "booked_ahead": any(
                a.status == Appointment.Status.SCHEDULED and a.starts_at > now for a in upcoming
            ),
            "passed": passed,
            "earlier": earlier,
            "course_ended": course_ended,
            "here_now": live,
            "zone": patient.time_zone,
            "clinic": patient.clinic,
        },
    )


@patient_required
@require_GET
def my_appointments_ics(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's appointments as iCalendar (no clinical details in the events)."""
    patient = access_patient(request.user, request.user.patient.public_id, action="export")
    response = HttpResponse(
        appointments_ics(patient, audience="patient"), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-appointments.ics"'
    return response
