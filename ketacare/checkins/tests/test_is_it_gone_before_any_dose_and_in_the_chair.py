"""The "is it gone?" answer says what is true where the patient is: a side effect reported before any
dose has no usual time to pass (never "longer than usual", never "within the usual time"), and in the
chair anything that would send the patient to their clinic says to tell the staff with them now."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_planned_session, make_session

pytestmark = pytest.mark.django_db

LEFT = "If you have already left the clinic, contact your clinic today: Call +1 555 0100"


def _report(patient: Any, symptom_id: str, at: dt.datetime) -> SymptomReport:
    submit_checkin(
        patient=patient,
        idempotency_key=uuid.uuid4().hex,
        reports=[ReportIn(symptom_id, "mild")],
        mood=None,
        note="",
        now=at,
    )
    return SymptomReport.objects.get(symptom_id=symptom_id, resolved_at__isnull=True)


def _main(page: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", page, re.S)
    assert found is not None
    return page_text(found.group(1))


def _still_there(client: Any, episode: SymptomReport, **extra: str) -> str:
    response = client.post(
        reverse("checkins:episodes"), {"episode": str(episode.public_id), "answer": "still", **extra}
    )
    assert response.status_code == 200
    return _main(response.content.decode())


def test_before_any_dose_the_question_does_not_ask_longer_than_usual(personas: Any, client_for: Any) -> None:
    make_planned_session(personas.a1, starts_at=timezone.now() + dt.timedelta(days=2))
    episode = _report(personas.a1, "nausea", timezone.now() - dt.timedelta(hours=1))
    page = client_for("a1").get(reverse("checkins:episodes"), {"episode": str(episode.public_id)})
    body = page.content.decode()
    assert "Is your feeling sick (nausea) gone?" in body
    assert "It feels longer than usual" not in body and 'name="says_longer"' not in body


def test_still_there_before_any_dose_says_it_is_not_an_effect_of_treatment(
    personas: Any, client_for: Any
) -> None:
    make_planned_session(personas.a1, starts_at=timezone.now() + dt.timedelta(days=2))
    episode = _report(personas.a1, "nausea", timezone.now() - dt.timedelta(hours=6))
    # A hand-made "longer than usual" is not taken: there is no usual time before any dose.
    text = _still_there(client_for("a1"), episode, says_longer="1")
    assert text.startswith(
        "Feeling sick (nausea) is still there You have not had a treatment session with us yet, so this is "
        "not an effect of treatment. Please contact your clinic today. Your care team has been told. "
        "Your clinic: +1 555 0100"
    )
    for untrue in ("usual", "dose", "after your session", "longer than"):
        assert untrue not in text, untrue
    # The care team's one alert for the episode is the check-in's, told what happened.
    alert = Alert.objects.get()
    assert alert.title == "Feeling sick (nausea) reported before any dose"
    episode.refresh_from_db()
    assert not episode.says_longer and not episode.seen_after_window and episode.resolved_at is None


def test_in_the_chair_a_side_effect_lasting_longer_than_usual_says_tell_the_staff_with_you_now(
    personas: Any, client_for: Any
) -> None:
    # The headache began after the last session, three days ago; today's session is checked in.
    dosed = timezone.now() - dt.timedelta(days=3)
    make_dose(personas.a1, started_at=dosed)
    episode = _report(personas.a1, "headache", dosed + dt.timedelta(hours=1))
    make_session(personas.a1, state="checked_in")
    text = _still_there(client_for("a1"), episode)
    assert text.startswith(
        "Tell the staff with you now Headache is lasting longer than usual: it is still there after the time "
        "it usually takes to pass. You are at the clinic: tell a member of staff now."
    )
    assert "Your care team has been told." in text
    assert "Please contact your clinic today" not in text
    assert LEFT in text
    assert Alert.objects.filter(dedupe_key=f"side_effect_overdue:{episode.public_id}").count() == 1


def test_in_the_chair_before_the_first_dose_still_there_says_tell_the_staff(
    personas: Any, client_for: Any
) -> None:
    episode = _report(personas.a1, "nausea", timezone.now() - dt.timedelta(hours=2))
    make_session(personas.a1, state="checked_in")
    text = _still_there(client_for("a1"), episode)
    assert text.startswith(
        "Tell the staff with you now Feeling sick (nausea) is still there. You have not had a treatment "
        "session with us yet, so this is not an effect of treatment. You are at the clinic: tell a member "
        "of staff now."
    )
    assert "Please contact your clinic today" not in text and LEFT in text


def test_at_home_a_side_effect_lasting_longer_than_usual_still_says_contact_your_clinic(
    personas: Any, client_for: Any
) -> None:
    dosed = timezone.now() - dt.timedelta(days=3)
    make_dose(personas.a1, started_at=dosed)
    episode = _report(personas.a1, "headache", dosed + dt.timedelta(hours=1))
    text = _still_there(client_for("a1"), episode)
    assert text.startswith(
        "Headache is lasting longer than usual It is still there after the time it usually takes to pass. "
        "Please contact your clinic today."
    )
    assert "tell a member of staff" not in text and "If you have already left" not in text
