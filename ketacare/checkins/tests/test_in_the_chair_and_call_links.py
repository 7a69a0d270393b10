"""In the chair, one instruction: tell the staff in the room. At home, every "call" on the check-in pages
is a number to tap (a tel: link, 44 px tall), and closing a red flag says what to do if it comes back."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text, screen_text
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[1] / "static" / "checkins" / "checkin.css"


def _answer(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303, sent.content
    return client.get(sent["Location"]).content.decode()


def _report(patient: Any, symptom_id: str) -> SymptomReport:
    submit_checkin(
        patient=patient,
        idempotency_key=uuid.uuid4().hex,
        reports=[ReportIn(symptom_id)],
        mood=None,
        note="",
        now=timezone.now() - dt.timedelta(minutes=30),
    )
    return SymptomReport.objects.get(symptom_id=symptom_id, resolved_at__isnull=True)


# In the chair


def test_chest_pain_in_the_chair_gives_one_instruction(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, state="observing")
    page = _answer(client_for("a1"), symptom="chest_pain")
    screen = screen_text(page)
    assert screen.startswith("Get help now You are at the clinic: tell a member of staff now.")
    assert "Tell them what you told us here: Chest pain." in screen
    for contradiction in ("Call your local emergency number", "Call 911", "do not wait for them", "Call 988"):
        assert contradiction not in screen, contradiction
    assert "Your clinic has been alerted." in screen


def test_at_home_chest_pain_still_gets_the_numbers(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    screen = screen_text(_answer(client_for("a1"), symptom="chest_pain"))
    assert "tell a member of staff" not in screen
    assert "Call your local emergency number now." in screen and "Call 911" in screen


def test_a_session_left_open_since_yesterday_does_not_place_the_patient_in_the_chair(
    personas: Any, client_for: Any
) -> None:
    # Checked in 14 hours ago and never discharged: the patient is at home, not in the chair.
    make_session(personas.a1, state="checked_in", now=timezone.now() - dt.timedelta(hours=14))
    screen = screen_text(_answer(client_for("a1"), symptom="chest_pain"))
    assert "tell a member of staff" not in screen
    assert "Call your local emergency number now." in screen and "Call 911" in screen


def test_the_is_it_gone_page_in_the_chair_points_to_the_staff(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, state="dosing")
    episode = _report(personas.a1, "chest_pain")
    page = client_for("a1").get(reverse("checkins:episodes"), {"episode": str(episode.public_id)})
    guidance = re.search(r'data-testid="flag-guidance">(.*?)</div>', page.content.decode(), re.S)
    assert guidance is not None
    text = page_text(guidance.group(1))
    assert "tell a member of staff now" in text and "Call" not in text


# Numbers to tap


def test_the_chest_pain_is_it_gone_page_has_a_call_link(personas: Any, client_for: Any) -> None:
    episode = _report(personas.a1, "chest_pain")
    page = client_for("a1").get(reverse("checkins:episodes"), {"episode": str(episode.public_id)})
    body = page.content.decode()
    guidance = re.search(r'data-testid="flag-guidance">(.*?)</div>', body, re.S)
    assert guidance is not None
    assert "Call your local emergency number now." in page_text(guidance.group(1))
    assert '<a class="call" href="tel:911">Call 911</a>' in guidance.group(1)
    assert "checkins/checkin.css" in body  # where a.call gets its 44 px


def test_every_call_link_on_the_check_in_pages_is_a_44_px_target(personas: Any, client_for: Any) -> None:
    rule = re.search(r"(?m)^a\.call \{([^}]*)\}", CSS.read_text())
    assert (
        rule is not None and "min-height: 2.75rem" in rule.group(1) and "min-width: 2.75rem" in rule.group(1)
    )
    client = client_for("a1")
    form = client.get(reverse("checkins:checkin")).content.decode()
    assert '<a class="call" href="tel:911">Call 911</a> now.' in form
    answer = _answer(client, symptom="chest_pain")
    assert "checkins/checkin.css" in answer and 'class="call" href="tel:911"' in answer


@pytest.mark.parametrize("flag", ["suicidal_thoughts_with_plan", "suicidal_thoughts_without_plan"])
def test_thoughts_of_suicide_marked_gone_still_say_what_to_do_if_they_come_back(
    personas: Any, client_for: Any, flag: str
) -> None:
    episode = _report(personas.a1, flag)
    page = client_for("a1").post(
        reverse("checkins:episodes"), {"episode": str(episode.public_id), "answer": "gone"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    block = re.search(r'data-testid="if-it-comes-back">.*?</section>', body, re.S)
    assert block is not None
    assert "If thoughts of suicide or of harming yourself come back" in page_text(block.group(0))
    assert '<a class="call" href="tel:988">Call 988</a>' in block.group(0)
    assert '<a class="call" href="tel:911">Call 911</a>' in block.group(0)
    assert "Thank you for telling us" in body and "is gone" not in body


def test_another_red_flag_marked_gone_says_to_check_in_again(personas: Any, client_for: Any) -> None:
    episode = _report(personas.a1, "chest_pain")
    body = (
        client_for("a1")
        .post(reverse("checkins:episodes"), {"episode": str(episode.public_id), "answer": "gone"})
        .content.decode()
    )
    block = re.search(r'data-testid="if-it-comes-back">.*?</section>', body, re.S)
    assert block is not None and "Check in again and tick it" in block.group(0)
    assert 'href="tel:911"' in block.group(0) and 'href="tel:988"' not in block.group(0)


def test_a_side_effect_marked_gone_needs_no_safety_net(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    episode = _report(personas.a1, "nausea")
    body = (
        client_for("a1")
        .post(reverse("checkins:episodes"), {"episode": str(episode.public_id), "answer": "gone"})
        .content.decode()
    )
    assert "You told us this has gone: Feeling sick (nausea)." in page_text(body)
    assert "if-it-comes-back" not in body


def test_in_the_chair_the_line_for_someone_who_has_left_gives_the_crisis_line_too(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, state="observing")
    page = _answer(client_for("a1"), symptom="suicidal_thoughts_with_plan")
    line = page.split('data-testid="left-the-clinic"', 1)[1].split("</p>", 1)[0]
    assert 'href="tel:911"' in line and 'href="tel:988"' in line
