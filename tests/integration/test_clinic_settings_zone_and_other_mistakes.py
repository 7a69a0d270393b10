"""A new time zone that moves booked sessions' clock times needs its confirmation; asked for in the same
answer as every other mistake of the save, each under its field and in the summary at the top, so the
administrator fixes everything in one go (clinics.services.check_clinic_settings)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.clinics.models import Clinic
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _tuesday_nine() -> dt.datetime:
    day = dt.date(timezone.now().year + 1, 1, 10)
    day += dt.timedelta(days=(1 - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=NEW_YORK)


def test_the_time_zone_confirmation_is_asked_with_the_other_mistakes(personas: Any, client_for: Any) -> None:
    make_planned_session(personas.a1, starts_at=_tuesday_nine())
    response = client_for("admin_a").post(
        reverse("clinics:settings"),
        {
            "time_zone": "Europe/Berlin",
            "phone": "call us",
            "emergency_number": "112",
            "crisis_line": "0800 1110111",
            "home_bp_hold_systolic_mmhg": "90",
            "home_bp_hold_diastolic_mmhg": "80",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    summary = page.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Nothing was saved: 3 things to fix" in summary
    assert (
        '<a href="#id_time_zone">Time zone: Moving to Europe/Berlin changes the clock time of 1 booked'
        in summary
    )
    assert '<a href="#id_phone">Clinic phone: May hold digits' in summary
    assert (
        '<a href="#id_home_bp_hold_systolic_mmhg">Home blood pressure limit, systolic: 90 mmHg is outside '
        in (summary.replace("&#x27;", "'"))
    )
    assert 'name="confirm_time_zone" value="Europe/Berlin"' in page
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert (clinic.time_zone, clinic.phone, clinic.home_bp_hold_systolic_mmhg) == (
        "America/New_York",
        "+1 555 0100",
        None,
    )
