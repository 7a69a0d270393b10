"""A fixed schedule follows the clinic's opening days, and a refusal for appointments outside the hours
says what on the form books them inside.

A new clinic closed on Sundays planned "6 infusions, 3 per week over 2 weeks" from Wednesday 10:00: the
schedule, spaced every other day from the first session, booked two Sundays, and the refusal said
"choose other weekdays" while the weekday boxes said "Only for a custom schedule". Any schedule takes
weekdays (a fixed one as many as it has sessions a week); left empty, a fixed schedule whose spacing
reaches a closed day falls on its usual days (Mon, Wed, Fri) when the first session is on one of them.

Clinic A (the personas) is in America/New_York; the clock stands on Monday 7 December 2026, 10:15 there.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.clinics.models import OpeningHours
from ketacare.treatments.models import TreatmentPlan

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)  # Mon 7 Dec 2026 10:15 in New York
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
GATE_REASON = "Screening, decision and consent are on paper for this test."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _hours(personas: Any, *, saturday: bool) -> None:
    """Mon-Fri 09:00-17:00, and Saturday 09:00-12:00 when ``saturday``; closed on Sunday."""
    for weekday in range(5):
        OpeningHours.objects.create(
            clinic=personas.clinic_a, weekday=weekday, opens_at=dt.time(9, 0), closes_at=dt.time(17, 0)
        )
    if saturday:
        OpeningHours.objects.create(
            clinic=personas.clinic_a, weekday=5, opens_at=dt.time(9, 0), closes_at=dt.time(12, 0)
        )


def _page(personas: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})


def _form(**extra: Any) -> dict[str, Any]:
    return {
        "protocol_id": "iv_ketamine",
        "preset_id": "3_per_week_2_weeks",
        "first_session_at": "2026-12-09T10:00",  # a Wednesday
        "weight_kg": "82",
        "maintenance_policy": "decide_at_review",
        "hepatic_impairment": "none",
        "gate_override_reason": GATE_REASON,
        **extra,
    }


def _text(body: str) -> str:
    return " ".join(html.unescape(strip_tags(body)).split())


def _booked(personas: Any) -> list[str]:
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    return [
        f"{a.starts_at.astimezone(NEW_YORK):%a %d %H:%M}" for a in plan.appointments.order_by("starts_at")
    ]


def _refusal(response: Any) -> str:
    """The refusal under "Book outside opening hours anyway", as the prescriber reads it."""
    assert response.status_code == 422
    body = response.content.decode()
    start = body.index('for="id_book_outside_hours"')
    return _text(body[start : body.index("</fieldset>", start)])


@pytest.mark.parametrize("preset_id", ["3_per_week_2_weeks", ""], ids=["three-a-week", "protocol-default"])
def test_three_a_week_from_a_wednesday_books_no_sunday_when_the_clinic_is_closed(
    personas: Any, client_for: Any, preset_id: str
) -> None:
    _hours(personas, saturday=True)
    response = client_for("clinician_a").post(_page(personas), _form(preset_id=preset_id))
    assert response.status_code == 302, _text(response.content.decode())[-1500:]
    # The schedule's usual days, from the Wednesday the prescriber chose.
    assert _booked(personas) == [
        "Wed 09 10:00",
        "Fri 11 10:00",
        "Mon 14 10:00",
        "Wed 16 10:00",
        "Fri 18 10:00",
        "Mon 21 10:00",
    ]
    assert TreatmentPlan.objects.get(patient=personas.a1).findings == []


def test_a_clinic_open_every_day_keeps_the_spacing_from_the_first_session(
    personas: Any, client_for: Any
) -> None:
    # No hours entered: nothing is known to be closed, so the schedule is spaced as before.
    assert client_for("clinician_a").post(_page(personas), _form()).status_code == 302
    assert _booked(personas)[:3] == ["Wed 09 10:00", "Fri 11 10:00", "Sun 13 10:00"]


def test_the_refusal_says_which_boxes_to_tick_and_following_it_books_the_plan(
    personas: Any, client_for: Any
) -> None:
    _hours(personas, saturday=False)
    client = client_for("clinician_a")
    # From a Thursday every other day reaches Saturday; Thursday is not one of Mon, Wed, Fri.
    refused = client.post(_page(personas), _form(first_session_at="2026-12-10T10:00"))
    text = _refusal(refused)
    assert (
        "2 of the 6 appointments would fall outside the clinic's opening hours (Mon-Fri 09:00-17:00): "
        "Sat 12 Dec 2026 10:00, Sat 19 Dec 2026 10:00 (clinic time)."
    ) in text
    assert (
        "To book inside the hours, tick 3 weekdays the clinic is open (Mon, Tue, Wed, Thu, Fri) under "
        "“Weekdays”, for example Mon, Wed, Fri (this schedule's usual days): the sessions then fall on "
        "those days, the first on the first of them from the first session's date."
    ) in text
    assert "Or, if the clinic will open specially then, confirm “Book outside opening hours anyway”." in text
    assert "other weekdays" not in text
    assert not TreatmentPlan.objects.exists()

    followed = client.post(
        _page(personas), _form(first_session_at="2026-12-10T10:00", weekdays=["0", "2", "4"])
    )
    assert followed.status_code == 302
    assert _booked(personas) == [
        "Fri 11 10:00",
        "Mon 14 10:00",
        "Wed 16 10:00",
        "Fri 18 10:00",
        "Mon 21 10:00",
        "Wed 23 10:00",
    ]


def test_an_evening_time_on_a_wednesday_is_told_to_change_the_time_and_the_days(
    personas: Any, client_for: Any
) -> None:
    # The walkthrough's first try: 18:30, after closing, and every other day reaching Sunday.
    _hours(personas, saturday=True)
    client = client_for("clinician_a")
    text = _refusal(client.post(_page(personas), _form(first_session_at="2026-12-09T18:30")))
    assert (
        "To book inside the hours, choose a first-session time at which the whole 115-minute appointment "
        "is inside the hours (every session keeps that time of day); and tick 3 weekdays the clinic is "
        "open (Mon, Tue, Wed, Thu, Fri, Sat) under “Weekdays”"
    ) in text
    # Only the time changed: the usual days then fit, as the page said they would.
    assert client.post(_page(personas), _form(first_session_at="2026-12-09T10:00")).status_code == 302


def test_a_custom_schedule_with_a_closed_day_ticked_is_told_to_tick_only_open_days(
    personas: Any, client_for: Any
) -> None:
    _hours(personas, saturday=False)
    text = _refusal(
        client_for("clinician_a").post(
            _page(personas),
            _form(preset_id="custom", session_count="6", weekdays=["2", "4", "6"]),
        )
    )
    assert "tick only weekdays the clinic is open (Mon, Tue, Wed, Thu, Fri) under “Weekdays”." in text
    assert "choose a first-session time" not in text  # 10:00 is inside the hours on every open day


def test_the_weekday_boxes_say_any_schedule_takes_them(personas: Any, client_for: Any) -> None:
    body = client_for("clinician_a").get(_page(personas)).content.decode()
    assert "<legend>Weekdays</legend>" in body
    start = body.index("<legend>Weekdays</legend>")
    hint = _text(body[start : body.index("</div>", body.index('class="muted hint"', start))])
    assert "Only for a custom schedule: the days" not in hint
    assert "Any other takes as many as it has sessions a week (3 for “3 per week”)" in hint


def test_the_api_refusal_carries_the_same_advice(personas: Any, client_for: Any) -> None:
    _hours(personas, saturday=False)
    answer = client_for("clinician_a").post(
        f"/api/v1/patients/{personas.a1.public_id}/plans",
        json.dumps(
            {
                "protocol_id": "iv_ketamine",
                "preset_id": "3_per_week_2_weeks",
                "first_session_at": "2026-12-10T10:00:00-05:00",
                "weight_kg": 82,
                "gate_override_reason": GATE_REASON,
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 409
    error = answer.json()["errors"][0]
    assert error["field"] == "book_outside_hours"
    assert "tick 3 weekdays the clinic is open (Mon, Tue, Wed, Thu, Fri)" in error["message"]
