"""The preparation checklist is for a booked session: "0 of 4 done" with none booked reads as a failure.

Without an upcoming session the home page counts nothing and does not link to the list (there is no
session to prepare for; My clinic still links to it in neutral words), and the list itself says it is
for before the next session and offers no ticks. With one booked, both say for which day (the clinic's
calendar day) and count what is ticked for that session.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.models import PreparationTick
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # Clinic A's zone
SATURDAY = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
TUESDAY_AFTERNOON = dt.datetime(2026, 12, 8, 14, 0, tzinfo=NEW_YORK)
COUNT = re.compile(r"\d+ of \d+ done")


def _page(client: Any, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def _next_appointment_section(home: str) -> str:
    return home.split('id="next-title"', 1)[1].split("</section>", 1)[0]


def test_without_a_session_booked_home_counts_nothing_and_does_not_link_the_list(
    personas: Any, client_for: Any
) -> None:
    # Even a tick left from before (stored under "next") is not counted for no session.
    PreparationTick.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a1,
        session_key="next",
        item_id="ride_home",
        done=True,
        ticked_at=SATURDAY,
    )
    with time_machine.travel(SATURDAY, tick=False):
        section = _next_appointment_section(_page(client_for("a1"), "companion:home"))
    assert "None booked." in section
    assert COUNT.search(section) is None and "done" not in section
    # Nothing booked, nothing to prepare for: the home page does not send the patient to the list.
    assert reverse("checkins:preparation") not in section
    assert "What to do before a session" not in section and "Preparation checklist" not in section


def test_without_a_session_booked_the_list_says_what_it_is_for_and_offers_no_ticks(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    with time_machine.travel(SATURDAY, tick=False):
        page = _page(client, "checkins:preparation")
        assert "No session is booked" in page and "before your next session" in page
        assert 'type="checkbox"' not in page and "Save my checklist" not in page
        assert COUNT.search(page) is None
        assert "Someone else takes you home." in page  # the list itself is still there to read
        # A tick sent anyway (a page left open while the session was cancelled) is not stored.
        sent = client.post(reverse("checkins:preparation"), {"item": ["ride_home"]})
    assert sent.status_code == 302
    assert not PreparationTick.objects.exists()


def test_with_a_session_booked_home_and_the_list_count_for_that_day(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    with time_machine.travel(SATURDAY, tick=False):
        make_planned_session(personas.a1, starts_at=TUESDAY_AFTERNOON)
        section = _next_appointment_section(_page(client, "companion:home"))
        assert "Preparation checklist for Tuesday 8 December" in section
        total = int(re.search(r"\(0 of (\d+) done\)", section).group(1))  # type: ignore[union-attr]
        page = _page(client, "checkins:preparation")
        assert "for your session on Tuesday 8 December" in page
        assert f"0 of {total} done" in page and page.count('type="checkbox"') == total
        client.post(reverse("checkins:preparation"), {"item": ["ride_home", "support_person"]})
        assert f"2 of {total} done" in _page(client, "checkins:preparation")
        assert f"(2 of {total} done)" in _next_appointment_section(_page(client, "companion:home"))


def test_the_day_is_the_clinics_calendar_day_named_as_such_when_the_patient_lives_elsewhere(
    personas: Any, client_for: Any
) -> None:
    # 23:30 on Tuesday at the clinic in New York is 04:30 on Wednesday in London.
    personas.a1.time_zone = "Europe/London"
    personas.a1.save(update_fields=["time_zone"])
    late = dt.datetime(2026, 12, 8, 23, 30, tzinfo=NEW_YORK)
    with time_machine.travel(SATURDAY, tick=False):
        make_planned_session(personas.a1, starts_at=late)
        home = _next_appointment_section(_page(client_for("a1"), "companion:home"))
        page = _page(client_for("a1"), "checkins:preparation")
    assert "Preparation checklist for Tuesday 8 December (New York time)" in home
    assert "for your session on Tuesday 8 December (New York time)" in page


def _my_clinic_link(page: str) -> str:
    """The text of My clinic's link to the preparation list."""
    found = re.search(rf'<a href="{reverse("checkins:preparation")}">([^<]*)</a>', page)
    assert found is not None
    return found.group(1)


def test_my_clinic_names_the_list_as_home_does_with_and_without_a_session_booked(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    with time_machine.travel(SATURDAY, tick=False):
        # None booked: neutral words, not a checklist to be done (the home page links to none then).
        page = _page(client, "patients:my_clinic")
        assert _my_clinic_link(page) == "What to do before a session"
        assert "Preparation checklist" not in page and "preparation checklist" not in page
        home = _next_appointment_section(_page(client, "companion:home"))
        assert reverse("checkins:preparation") not in home
        # Booked: the checklist for that session.
        make_planned_session(personas.a1, starts_at=TUESDAY_AFTERNOON)
        booked = _page(client, "patients:my_clinic")
        assert _my_clinic_link(booked) == "Preparation checklist for your next session"
        assert "What to do before a session" not in booked


def test_what_is_done_in_the_hours_before_a_session_is_ticked_on_its_day_not_days_before(
    personas: Any, client_for: Any
) -> None:
    from tests.support.treatments import make_session

    tuesday_morning = dt.datetime(2026, 12, 8, 8, 0, tzinfo=NEW_YORK)
    with time_machine.travel(tuesday_morning, tick=False):
        # Esketamine at 12:00 on Tuesday: its label asks for no food for 2 hours before.
        make_session(personas.a1, route="esketamine_in", state="scheduled", now=TUESDAY_AFTERNOON)
    client = client_for("a1")
    url = reverse("checkins:preparation")
    with time_machine.travel(SATURDAY, tick=False):
        page = _page(client, "checkins:preparation")
        text = re.sub(r"<[^>]+>", "", page)
        assert "for your session on Tuesday 8 December at 12:00." in text  # the day said once
        assert 'value="no_food"' not in page and "tick this on the day of your session" in text
        found = re.search(r"0 of (\d+) done · (\d+) to tick on the day of your session", text)
        assert found is not None, page
        client.post(url, {"item": ["no_food", "ride_home"]})  # a tick sent anyway for the day's item
        assert not PreparationTick.objects.filter(item_id="no_food").exists()
        home = _next_appointment_section(_page(client, "companion:home"))
        assert f"(1 of {found.group(1)} done)" in home
    with time_machine.travel(tuesday_morning, tick=False):
        client = client_for("a1")  # three days later: a new sign-in
        page = _page(client, "checkins:preparation")
        assert 'value="no_food"' in page and "to tick on the day" not in page
        client.post(url, {"item": ["no_food", "ride_home"]})
        assert PreparationTick.objects.get(item_id="no_food").done
