"""Words the screen did not match never get silence, an error or a green all-clear.

A patient walkthrough on a phone found:

- a dark note ("Add a note") that matched no phrase answered "Thank you for checking in. No symptoms
  reported." with no number to call, and the clinic's page said "Expected";
- the "If in doubt, call" answer to unmatched words gave the clinic and the emergency number but not the
  crisis line;
- unmatched words in "Something else?" sent without "How worried are you?" refused with "There is a
  problem": a patient typing in a panic got an error instead of help;
- a mood of 1 showed a green "No symptoms reported" box above "Your mood is very low", and never said
  whether anyone would call;
- thoughts of suicide found in the patient's words were said back as "Thoughts of suicide or self-harm
  (no plan stated) (how strong: not given)".
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from tests.support.clinic_hours import page_text, screen_text
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

DARK_NOTE = "everything feels grey and heavy lately"
UNMATCHED = "a strange heavy feeling everywhere, I am scared"
CALM_LINE = "If thoughts of suicide come with a low mood, you can talk to someone now, day and night"


def _answer(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303, page_text(sent.content.decode())[:800]
    return client.get(sent["Location"]).content.decode()


def _block(page: str, testid: str) -> str:
    found = re.search(rf'<(section|p)[^>]*data-testid="{testid}".*?</\1>', page, re.S)
    assert found is not None, f"no {testid} on the page"
    return found.group(0)


def _staff_page(client_for: Any, personas: Any) -> str:
    url = reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    return html.unescape(client_for("clinician_a").get(url).content.decode())


def _staff_row(staff: str, text: str) -> str:
    row = re.search(rf"<tr><td>[^<]*</td><td>(?:(?!</tr>).)*{re.escape(text)}.*?</tr>", staff, re.S)
    assert row is not None, f"no check-in row with {text!r}"
    return row.group(0)


# A note the screen did not match


def test_a_dark_note_is_not_answered_with_no_symptoms_reported(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), note=DARK_NOTE)
    text = page_text(page)
    assert "No symptoms reported" not in text
    assert "answer-expected" not in page  # no green all-clear
    note = page_text(_block(page, "note-will-be-read"))
    # When it is read, and honestly: the note alone alerts nobody.
    assert "Your clinic will read your note the next time they look through check-ins" in note
    assert "A note does not alert them" in note
    assert f'href="tel:{personas.clinic_a.phone}"' in _block(page, "note-will-be-read")
    # The calm crisis line, the same sentence as under a low mood.
    line = _block(page, "low-mood-line")
    assert 'href="tel:988"' in line and 'href="tel:911"' in line
    assert CALM_LINE in page_text(line)
    assert text.count(CALM_LINE) == 1
    assert not Alert.objects.exists()


def test_the_clinic_sees_a_note_that_raised_no_alert_as_one_to_read(personas: Any, client_for: Any) -> None:
    _answer(client_for("a1"), note=DARK_NOTE)
    row = page_text(_staff_row(_staff_page(client_for, personas), DARK_NOTE))
    assert "Note to read (no alert was raised)" in row


def test_a_note_that_says_nothing_gets_the_plain_thanks(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), note="nothing", mood="7")
    assert 'data-testid="note-will-be-read"' not in page
    assert 'data-testid="low-mood-line"' not in page
    assert "Note to read" not in _staff_page(client_for, personas)


def test_a_note_beside_a_low_mood_gives_the_calm_line_once(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), note=DARK_NOTE, mood="3")
    assert page.count('data-testid="low-mood-line"') == 1


# "If in doubt, call": the crisis line too


def test_the_review_answer_gives_the_crisis_line_the_clinic_and_the_emergency_number(
    personas: Any, client_for: Any
) -> None:
    page = _answer(client_for("a1"), other_text=UNMATCHED, worry="a_little")
    box = _block(page, "if-in-doubt")
    assert "If in doubt, call" in page_text(box)
    for number in (
        personas.clinic_a.crisis_line,
        personas.clinic_a.phone,
        personas.clinic_a.emergency_number,
    ):
        assert f'href="tel:{number}"' in box, number


def test_the_review_answer_in_the_chair_gives_the_crisis_line_to_someone_who_has_left(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, state="observing")
    page = _answer(client_for("a1"), other_text=UNMATCHED, worry="quite")
    line = page.split('data-testid="left-the-clinic"', 1)[1].split("</p>", 1)[0]
    assert 'href="tel:988"' in line and f'href="tel:{personas.clinic_a.phone}"' in line


# "How worried are you?" left unanswered


def test_unmatched_words_without_the_worry_answer_get_help_not_an_error(
    personas: Any, client_for: Any
) -> None:
    page = _answer(client_for("a1"), other_text=UNMATCHED)
    assert "There is a problem" not in page
    box = _block(page, "if-in-doubt")
    for number in (
        personas.clinic_a.crisis_line,
        personas.clinic_a.phone,
        personas.clinic_a.emergency_number,
    ):
        assert f'href="tel:{number}"' in box, number
    checkin = SymptomCheckin.objects.get()
    assert checkin.other_text == UNMATCHED and checkin.worry == ""
    assert checkin.triage_result["review_required"] is True
    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.CONTACT_CLINIC
    assert "How worried they are: not answered." in alert.detail
    row = page_text(_staff_row(_staff_page(client_for, personas), UNMATCHED))
    assert "(how worried: not answered)" in row


def test_the_api_takes_unmatched_words_without_the_worry_answer(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": uuid.uuid4().hex, "other_text": UNMATCHED}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["worry"] == "" and response.json()["triage_result"]["review_required"] is True


# A very low mood


def test_a_mood_of_one_drops_the_all_clear_and_says_nobody_is_alerted(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), mood="1")
    text = page_text(page)
    assert "answer-expected" not in page and "No symptoms reported" not in text
    assert text.index("Thank you for checking in") < text.index("Your mood is very low")
    said = page_text(_block(page, "mood-no-alert"))
    assert "Your mood score alone does not alert your clinic" in said
    assert "If you need to talk to someone now, call the crisis line" in said
    assert not Alert.objects.exists()
    staff = page_text(_staff_page(client_for, personas))
    assert "Note to read" not in staff


def test_a_low_mood_with_an_alert_does_not_say_nobody_is_alerted(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), mood="1", other_text=UNMATCHED, worry="quite")
    assert 'data-testid="mood-no-alert"' not in page
    assert 'data-testid="low-mood-support"' in page


# Thoughts of suicide found in the patient's words


def test_thoughts_of_suicide_in_the_words_are_said_back_in_the_patients_words(
    personas: Any, client_for: Any
) -> None:
    page = _answer(client_for("a1"), other_text="Honestly I don\u2019t want to wake up tomorrow")
    screen = screen_text(page)
    assert "Get help now" in screen and "Call 988" in screen
    text = page_text(page)
    assert "(how strong: not given)" not in text
    assert "In your words: \u201cdon\u2019t want to wake up\u201d" in text
    assert "Thoughts of suicide or self-harm (no plan stated)" not in text.split("Each symptom", 1)[1]
    # The clinic keeps the clinical name and that no strength was given.
    detail = Alert.objects.get().detail
    assert "Thoughts of suicide or self-harm (no plan stated) (in their own words)" in detail
    episode = SymptomReport.objects.get()
    assert episode.symptom_id == "suicidal_thoughts_without_plan" and episode.severity == ""
    staff = _staff_page(client_for, personas)
    row = re.search(
        r"<tr><td><strong>Thoughts of suicide or self-harm \(no plan stated\)</strong>.*?</tr>", staff
    )
    assert row is not None and "<td>Not given</td>" in row.group(0)


def test_a_note_with_a_new_warning_sign_gets_the_crisis_screen(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), note="I'm a burden to everyone")
    screen = screen_text(page)
    assert "Get help now" in screen and 'href="tel:988"' in page
    assert Alert.objects.get().severity == "urgent"
