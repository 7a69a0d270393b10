"""A clinic's new time zone keeps every booked session at its instant, so their clock time changes: the
settings page asks first, with how many and an example, and saves nothing until confirmed
(clinics.services.update_clinic_settings, the booked visits read through patients.facts)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.clinics.models import Clinic
from ketacare.patients import facts
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.services import cancel_session
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _next_january_tuesday() -> dt.date:
    """A Tuesday in January of next year: New York is then UTC-5 and Berlin UTC+1, whatever today is."""
    day = dt.date(timezone.now().year + 1, 1, 10)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def _settings(**overrides: str) -> dict[str, str]:
    return {
        "time_zone": "Europe/Berlin",
        "phone": "+49 30 555 0100",
        "emergency_number": "112",
        "crisis_line": "0800 1110111",
        "mon_opens": "08:00",
        "mon_closes": "18:00",
    } | overrides


@pytest.fixture
def tuesday_nine(personas: Any) -> dt.datetime:
    """Patient A1's booked session (its appointment and session count once) at 09:00 New York time."""
    starts = dt.datetime.combine(_next_january_tuesday(), dt.time(9, 0), tzinfo=NEW_YORK)
    make_planned_session(personas.a1, starts_at=starts)
    return starts


def test_changing_the_zone_with_booked_sessions_asks_first_and_saves_nothing(
    personas: Any, client_for: Any, tuesday_nine: dt.datetime
) -> None:
    admin = client_for("admin_a")
    response = admin.post(reverse("clinics:settings"), _settings())
    assert response.status_code == 400
    page = response.content.decode()
    day = f"Tuesday {tuesday_nine.day} Jan"
    # Under the time zone field: how many, and how the first one reads on the new clock.
    error = page.split('for="id_time_zone"', 1)[1].split("</p>", 1)[0]
    assert (
        f"Moving to Europe/Berlin changes the clock time of 1 booked session, which keeps its moment: "
        f"{day} 09:00 becomes {day} 15:00; nothing was saved" in error
    )
    assert (
        'name="confirm_time_zone" value="Europe/Berlin"' in page
        and " checked" not in page.split('name="confirm_time_zone"', 1)[1].split(">", 1)[0]
    )
    assert "Change the time zone to Berlin anyway: the 1 booked session keeps its moment" in page
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert (clinic.time_zone, clinic.phone) == ("America/New_York", "+1 555 0100")
    assert not clinic.opening_hours.exists()

    # A box ticked for another zone confirms nothing.
    other = admin.post(reverse("clinics:settings"), _settings(confirm_time_zone="Europe/Paris"))
    assert other.status_code == 400
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "America/New_York"

    confirmed = admin.post(reverse("clinics:settings"), _settings(confirm_time_zone="Europe/Berlin"))
    assert confirmed.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.time_zone, clinic.phone) == ("Europe/Berlin", "+49 30 555 0100")
    # The session kept its instant: it now reads 15:00 on the clinic's clock.
    session = TreatmentSession.objects.get(patient=personas.a1)
    assert session.scheduled_at == tuesday_nine
    assert session.scheduled_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).time() == dt.time(15, 0)


def test_another_mistake_is_shown_first_and_the_box_stays_ticked(
    personas: Any, client_for: Any, tuesday_nine: dt.datetime
) -> None:
    admin = client_for("admin_a")
    response = admin.post(
        reverse("clinics:settings"), _settings(phone="call us", confirm_time_zone="Europe/Berlin")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "May hold digits, spaces and + - ( ) . / only" in page
    assert 'value="Europe/Berlin" checked' in page
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "America/New_York"


def test_past_and_cancelled_sessions_move_no_clock_and_the_zone_changes_at_once(
    personas: Any, client_for: Any
) -> None:
    make_planned_session(personas.a2, starts_at=timezone.now() - dt.timedelta(days=2))
    cancelled = make_planned_session(personas.a1, starts_at=timezone.now() + dt.timedelta(days=3))
    cancel_session(session=cancelled, user=personas.clinician_a, reason="The patient moved away.")
    assert facts.clinic_booked_starts(personas.clinic_a, now=timezone.now()) == []
    response = client_for("admin_a").post(reverse("clinics:settings"), _settings())
    assert response.status_code == 302
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "Europe/Berlin"


def test_a_zone_with_the_same_clock_for_every_booking_needs_no_confirmation(
    personas: Any, client_for: Any, tuesday_nine: dt.datetime
) -> None:
    # Toronto has kept New York's clock since 1974: the booked session reads 09:00 in both.
    response = client_for("admin_a").post(reverse("clinics:settings"), _settings(time_zone="America/Toronto"))
    assert response.status_code == 302
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "America/Toronto"


def test_the_count_covers_every_patient_of_the_clinic_and_no_other_clinic(
    personas: Any, client_for: Any, tuesday_nine: dt.datetime
) -> None:
    make_planned_session(personas.a2, starts_at=tuesday_nine + dt.timedelta(days=7, hours=2))
    make_planned_session(personas.b1, starts_at=tuesday_nine + dt.timedelta(days=1))
    assert facts.clinic_booked_starts(personas.clinic_a, now=timezone.now()) == [
        tuesday_nine,
        tuesday_nine + dt.timedelta(days=7, hours=2),
    ]
    page = client_for("admin_a").post(reverse("clinics:settings"), _settings()).content.decode()
    assert "changes the clock time of 2 booked sessions, which keep their moment" in page
    assert "the 2 booked sessions keep their moment" in page
