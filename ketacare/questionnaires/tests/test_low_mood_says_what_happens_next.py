"""After a low daily mood, "what happens next" tells the truth about calls and visits, once.

The walkthrough's patient answered 0 and read the red "Your mood is very low" box, then "These answers
did not raise an alert, so do not wait for a call about them: you can talk about them at your next
visit": contradictory beside the box, and they had no visit booked. Now the page says the mood alone
does not alert the clinic, to call the clinic to talk before the next visit, which it names when one
is booked; with none booked it says so and to call to arrange one. The clinic's number shows once. No
dosing advice. Any other score names the next visit only when one is booked, too.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from tests.support.clinic_hours import TUESDAY_NIGHT, page_text, set_opening_hours
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

NO_VISIT = "You have no visit booked: call the clinic to arrange one."
NOT_ALERTED = "A low mood on its own does not alert your clinic, so do not wait for a call about it."


def _send(client: Any, instrument: str, answers: dict[str, str]) -> str:
    sent = client.post(
        reverse("questionnaires:fill", kwargs={"instrument": instrument}),
        {"idempotency_key": uuid.uuid4().hex, **answers},
        follow=True,
    )
    assert sent.status_code == 200
    return sent.content.decode()


def _mood(client: Any, mood: str) -> str:
    return _send(client, "daily_mood", {"daily_mood.q1": mood})


def _visit_words(patient: Any, starts_at: dt.datetime) -> str:
    local = starts_at.astimezone(zoneinfo.ZoneInfo(patient.time_zone))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"


def _book(patient: Any) -> dt.datetime:
    starts_at = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    session = make_planned_session(patient, starts_at=starts_at)
    assert session.appointment is not None and session.appointment.starts_at == starts_at
    return starts_at


def test_a_very_low_mood_without_a_visit_booked_says_so_and_gives_the_number_once(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.a1.clinic
    page = _mood(client_for("a1"), "0")
    text = page_text(page)
    assert 'data-testid="low-mood-support"' in page
    assert NOT_ALERTED in text
    assert "If you want to talk about it, call your clinic on the number above." in text
    assert NO_VISIT in text
    assert "did not raise an alert" not in text and "next visit" not in text
    assert "before then" not in text  # there is no visit for "then" to be
    assert page.count(f'href="tel:{clinic.phone}"') == 1
    assert "dose" not in text.lower()
    assert not Alert.objects.exists()


def test_a_very_low_mood_names_the_next_visit_when_one_is_booked(personas: Any, client_for: Any) -> None:
    clinic = personas.a1.clinic
    starts_at = _book(personas.a1)
    page = _mood(client_for("a1"), "1")
    text = page_text(page)
    assert NOT_ALERTED in text
    assert (
        f"If you want to talk about it before your next visit, on {_visit_words(personas.a1, starts_at)}, "
        "call your clinic on the number above."
    ) in text
    assert "no visit booked" not in text
    assert page.count(f'href="tel:{clinic.phone}"') == 1


def test_a_low_mood_gives_the_clinics_number_in_the_sentence_once(personas: Any, client_for: Any) -> None:
    clinic = personas.a1.clinic
    page = _mood(client_for("a1"), "2")
    text = page_text(page)
    assert 'data-testid="low-mood-line"' in page and 'data-testid="low-mood-support"' not in page
    assert NOT_ALERTED in text
    assert f"If you want to talk about it, call your clinic: {clinic.phone}" in text
    assert NO_VISIT in text
    assert "did not raise an alert" not in text
    assert page.count(f'href="tel:{clinic.phone}"') == 1


@pytest.mark.parametrize("mood", ["0", "2"])
def test_while_the_clinic_is_closed_the_number_still_shows_once(
    personas: Any, client_for: Any, mood: str
) -> None:
    clinic = personas.clinic_a
    set_opening_hours(clinic, personas.admin_a)
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        page = _mood(client_for("a1"), mood)
    text = page_text(page)
    assert NOT_ALERTED in text
    assert "Your clinic is closed now; you can call it when it opens on" in text
    assert page.count(f'href="tel:{clinic.phone}"') == 1


def test_a_fair_mood_keeps_the_usual_words(personas: Any, client_for: Any) -> None:
    text = page_text(_mood(client_for("a1"), "6"))
    assert NOT_ALERTED not in text
    assert "These answers did not raise an alert, so do not wait for a call about them" in text


def test_a_score_without_an_alert_names_the_next_visit_only_when_one_is_booked(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    answers = {f"phq9.q{i}": "1" for i in range(1, 9)} | {"phq9.q9": "0"}
    text = page_text(_send(client, "phq9", answers))
    assert f"These answers did not raise an alert, so do not wait for a call about them. {NO_VISIT}" in text
    assert "at your next visit" not in text
    starts_at = _book(personas.a1)
    text = page_text(_send(client, "phq9", answers))
    assert (
        "do not wait for a call about them: you can talk about them at your next visit, on "
        f"{_visit_words(personas.a1, starts_at)}."
    ) in text
    assert "no visit booked" not in text
