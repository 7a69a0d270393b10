"""A day-of-treatment companion is invited for the day of one of the patient's sessions, booked or held.
On a day without one their page would say "The discharge instructions appear here when June leaves the
clinic", which never happens: the invitation is refused, naming the day, and nothing is written. The
form offers the next booked session's day, or no day and says why when none is booked."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.support.models import SupportGrant
from ketacare.treatments.models import TreatmentSession
from tests.support.checkins import make_dose
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")  # Clinic A's and patient A1's zone
# 11:00 on Monday 2 March 2026 in New York.
T0 = dt.datetime(2026, 3, 2, 11, 0, tzinfo=NEW_YORK)


def _invite(client: Any, day: str) -> Any:
    return client.post(
        reverse("support:manage"),
        {"action": "invite", "name": "Sam", "phone": "+1 555 0102", "role": "day_companion", "day": day},
    )


def _text(response: Any) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def _day_value(response: Any) -> str | None:
    field = re.search(r'<input type="date" name="day"[^>]*>', response.content.decode())
    assert field is not None
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else None


def test_a_companion_for_a_day_without_a_session_is_refused_naming_the_day(
    personas: Any, client_for: Any
) -> None:
    # The last session was three days ago; nothing is booked today.
    make_dose(personas.a1, started_at=T0 - dt.timedelta(days=3))
    with time_machine.travel(T0, tick=False):
        refused = _invite(client_for("a1"), "2026-03-02")
    assert refused.status_code == 400
    text = _text(refused)
    assert "You have no treatment session booked on Monday 2 March 2026" in text
    assert "ask your clinic to book it first" in text
    assert not SupportGrant.objects.exists()


def test_a_companion_for_a_cancelled_sessions_day_is_refused(personas: Any, client_for: Any) -> None:
    session = make_planned_session(personas.a1, starts_at=T0 + dt.timedelta(days=3))
    TreatmentSession.objects.filter(pk=session.pk).update(state=TreatmentSession.State.CANCELLED)
    session.appointment.status = "cancelled"
    session.appointment.save(update_fields=["status"])
    with time_machine.travel(T0, tick=False):
        refused = _invite(client_for("a1"), "2026-03-05")
    assert refused.status_code == 400 and "no treatment session booked on Thursday 5 March 2026" in _text(
        refused
    )
    assert not SupportGrant.objects.exists()


@pytest.mark.parametrize(
    "visit",
    ["booked later today", "held this morning", "under way now", "booked on Thursday"],
)
def test_a_companion_for_a_day_with_a_session_booked_or_held_is_invited(
    personas: Any, client_for: Any, visit: str
) -> None:
    a1 = personas.a1
    day = "2026-03-05" if visit == "booked on Thursday" else "2026-03-02"
    if visit == "booked later today":
        make_planned_session(a1, starts_at=T0 + dt.timedelta(hours=3))
    elif visit == "booked on Thursday":
        make_planned_session(a1, starts_at=T0 + dt.timedelta(days=3))
    elif visit == "held this morning":
        make_dose(a1, started_at=T0 - dt.timedelta(hours=2))
    else:
        TreatmentSession.objects.create(
            clinic=a1.clinic,
            patient=a1,
            protocol_id="iv_ketamine",
            route="iv",
            scheduled_at=T0 - dt.timedelta(minutes=30),
            state=TreatmentSession.State.OBSERVING,
            checked_in_at=T0 - dt.timedelta(minutes=30),
            dose_started_at=T0 - dt.timedelta(minutes=15),
        )
    with time_machine.travel(T0, tick=False):
        invited = _invite(client_for("a1"), day)
    assert invited.status_code == 200, _text(invited)[:400]
    grant = SupportGrant.objects.get(patient=a1)
    assert grant.day == dt.date.fromisoformat(day)


def test_the_form_offers_the_next_booked_sessions_day(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=T0 - dt.timedelta(days=3))
    make_planned_session(personas.a1, starts_at=T0 + dt.timedelta(days=3))
    with time_machine.travel(T0, tick=False):
        form = client_for("a1").get(reverse("support:manage"))
    assert _day_value(form) == "2026-03-05"
    assert "the first from today is Thursday 5 March 2026" in _text(form)
    # The hint is the date field's description for a screen reader.
    assert 'aria-describedby="id_day_helptext"' in form.content.decode()
    # Today, three days after the last session, is refused with the day to choose instead.
    with time_machine.travel(T0, tick=False):
        refused = _invite(client_for("a1"), "2026-03-02")
    assert refused.status_code == 400
    assert (
        "You have no treatment session booked on Monday 2 March 2026. A companion is invited for the day "
        "of a session (the first from today is Thursday 5 March 2026)." in _text(refused)
    )
    assert _day_value(refused) == "2026-03-02", "the day sent is kept, beside its error"
    assert not SupportGrant.objects.exists()


def test_with_no_session_booked_the_day_is_left_empty_and_the_form_says_why(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=T0 - dt.timedelta(days=3))
    with time_machine.travel(T0, tick=False):
        form = client_for("a1").get(reverse("support:manage"))
    assert _day_value(form) in (None, "")
    assert "No treatment session is booked in the next 60 days" in _text(form)
