"""The demo's session in the chair is that patient's only dose of the day, and their other bookings stay.

The demo used to move the patient's next booking to "now" after their 09:00 session of the same day
was done: two IV infusions about three hours apart on one day, the morning's discharge sheet no
longer true, and the Wednesday booking gone. The patient in the chair now has a schedule with a
session on that day (the demo's own plan, through the plan service), and that booking is the one in
the chair.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import opening_intervals
from ketacare.core.protocols import get_protocol
from ketacare.demo.treatments import _live_schedule
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors import appointment_minutes, nearby_dose
from ketacare.treatments.selectors.clinic import within_opening_hours

pytestmark = pytest.mark.django_db


def test_the_session_in_the_chair_is_the_patients_only_dose_within_24_hours(demo):
    live = list(
        TreatmentSession.objects.filter(state__in=["dosing", "observing"]).select_related(
            "appointment", "clinic", "plan"
        )
    )
    assert live
    for session in live:
        assert session.dose_started_at is not None
        assert nearby_dose(session, session.dose_started_at) is None, session.patient
        # The booking in the chair is the one the plan laid out for that day: each of the plan's other
        # appointments is where the plan put it, at least two days away (none was moved to today).
        zone = zoneinfo.ZoneInfo(session.clinic.time_zone)
        day = session.scheduled_at.astimezone(zone).date()
        others = session.plan.appointments.exclude(pk=session.appointment_id)
        assert all(abs((a.starts_at.astimezone(zone).date() - day).days) >= 2 for a in others)
        if session.plan.preset_id != "custom":  # a clinic closed today ends the demo series today
            assert others.filter(starts_at__gt=session.scheduled_at, status="scheduled").exists()


@pytest.mark.parametrize("weekday", range(7))
def test_the_live_schedule_has_a_session_that_day_and_two_days_between_sessions(demo, weekday):
    monday = dt.date(2026, 11, 23)
    live_day = monday + dt.timedelta(days=weekday)
    protocol = get_protocol("iv_ketamine")
    for clinic in Clinic.objects.all():
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        start = dt.datetime.combine(live_day - dt.timedelta(days=8), dt.time(9), tzinfo=zone)
        schedule = _live_schedule(clinic, protocol, live_day, start)
        days = schedule.weekdays
        assert weekday in days, (clinic.name, schedule)
        gaps = [(b - a) % 7 for a, b in zip(days, days[1:] + days[:1], strict=True)]
        assert min(gaps) >= 2, (clinic.name, schedule)
        intervals = opening_intervals(clinic)
        duration = appointment_minutes(clinic, protocol)
        open_today = within_opening_hours(
            intervals, dt.datetime.combine(live_day, dt.time(9), tzinfo=zone), duration
        )
        # Booked outside the hours only when the clinic is closed that day, and then no later session.
        assert schedule.outside_hours is (not open_today), (clinic.name, schedule)
