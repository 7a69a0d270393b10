"""The check-in's note ("Anything else you want to tell your clinic?") is screened like "Something else?":
the same words get the same safety answer whichever box they are in. A very low mood brings the crisis
line beside the thanks."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import BETWEEN_BOXES, own_words
from ketacare.core.knowledge.search import words
from ketacare.core.safety_net import safety_net
from tests.support.clinic_hours import page_text, screen_text

pytestmark = pytest.mark.django_db

DEAD = "I keep thinking I would be better off dead"
VAGUE = "my sister will drive me on Tuesday but she might be late"


def _send(client: Any, **fields: str) -> tuple[int, str]:
    response = client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields},
        follow=True,
    )
    return response.status_code, response.content.decode()


def test_a_note_about_suicide_shows_the_emergency_guidance_and_alerts_the_clinic(
    personas: Any, client_for: Any
) -> None:
    status, page = _send(client_for("a1"), note=DEAD)
    assert status == 200
    assert "No symptoms reported" not in page
    screen = screen_text(page)
    assert "Get help now" in screen and "Call 988" in screen and "Call 911" in screen
    assert 'href="tel:988"' in page
    checkin = SymptomCheckin.objects.get()
    assert checkin.note == DEAD and checkin.triage_level == "urgent"
    # The alert is stored with the check-in, in its transaction, and quotes the note for the clinician.
    alert = Alert.objects.get()
    assert alert.dedupe_key == f"checkin:{checkin.public_id}" and alert.source == "red_flag_checkin"
    assert alert.severity == "urgent" and DEAD in alert.detail
    assert alert.evidence == {"red_flags": ["suicidal_thoughts_without_plan"]}
    # The red flag found in the note is an episode, closed only by a person.
    assert SymptomReport.objects.get().symptom_id == "suicidal_thoughts_without_plan"


def test_the_same_words_get_the_same_answer_in_either_box(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    _, in_note = _send(client, note=DEAD)
    _, in_other = _send(client, other_text=DEAD)
    assert screen_text(in_note) == screen_text(in_other)
    assert [c.triage_level for c in SymptomCheckin.objects.all()] == ["urgent", "urgent"]
    assert Alert.objects.count() == 2


def test_a_note_without_a_red_flag_is_kept_for_the_clinic_and_raises_no_alert(
    personas: Any, client_for: Any
) -> None:
    # A note is a message read with the check-in, not a symptom: "feeling fine, thanks" must not
    # become an inbox item at every check-in. Only a red flag in it takes the red flag's path.
    status, page = _send(client_for("a1"), note=VAGUE)
    assert status == 200
    checkin = SymptomCheckin.objects.get()
    assert checkin.note == VAGUE and checkin.triage_result["review_required"] is False
    assert not Alert.objects.exists()


def test_a_note_that_says_nothing_needs_no_review(personas: Any, client_for: Any) -> None:
    status, page = _send(client_for("a1"), note="nothing", mood="7")
    assert status == 200 and 'data-level="expected"' in page
    assert not Alert.objects.exists()


def test_no_phrase_runs_from_one_box_into_the_other() -> None:
    # "... and no" at the end of one box does not deny "chest pain" at the start of the next.
    text = own_words("a headache, and no", "chest pain since lunch")
    assert text is not None
    from ketacare.core.free_text import screen_free_text

    assert screen_free_text(text).red_flag_ids == ("chest_pain",)
    # The words between the boxes are in no phrase and no negation of the screen.
    rules = safety_net().free_text
    between = set(words(BETWEEN_BOXES))
    assert between and not between & set(rules.negation_words)
    assert not any(between & set(phrase) for phrases in rules.phrases.values() for phrase in phrases)


@pytest.mark.parametrize("mood", ["0", "1"])
def test_a_very_low_mood_shows_the_crisis_line_beside_the_thanks(
    personas: Any, client_for: Any, mood: str
) -> None:
    status, page = _send(client_for("a1"), mood=mood)
    assert status == 200
    found = re.search(
        r'<section class="help-now"[^>]*data-testid="low-mood-support".*?</section>', page, re.S
    )
    assert found is not None
    block = found.group(0)
    assert 'href="tel:988"' in block and 'href="tel:911"' in block
    assert f'href="tel:{personas.clinic_a.phone}"' in block
    assert "thoughts of harming yourself" in page_text(block)
    # The mood alone raises no alert (clinic practice): the answer is for the patient.
    assert not Alert.objects.exists()


def test_a_mood_of_two_gets_the_plain_thanks(personas: Any, client_for: Any) -> None:
    _, page = _send(client_for("a1"), mood="2")
    assert 'data-testid="low-mood-support"' not in page
