"""The check-in's answer says only what is true when it is read (a patient tester, 390 px phone).

Past an effect's window the day-of-treatment tips ("Rest for the rest of the day") are not shown under
"contact your clinic"; "see the red flags" links to the patient's list of them; a low mood gets a calm
line with the crisis line; in the chair an open warning sign says tell the staff; "when it began" is
said back in the words the form offered; a symptom ticked with no start is "reported N after your
dose", not "still there"; and the clinic's alert says a red flag's strength was not given.
"""

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
from ketacare.checkins.onset import AFTER_TREATMENT, began_words
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _answer(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303, page_text(sent.content.decode())[:600]
    return client.get(sent["Location"]).content.decode()


def _block(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    return page_text(found.group(0)) if found else ""


def test_tiredness_three_days_on_drops_the_day_of_treatment_tips(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=3, minutes=30))
    page = _answer(client_for("a1"), symptom="fatigue", severity_fatigue="moderate", onset_fatigue="240")
    text = page_text(page)
    assert "Please contact your clinic today" in text
    for stale in kb.knowledge().side_effects["fatigue"].self_care:  # "Rest for the rest of the day." ...
        assert stale not in text, stale
    assert "What helps:" not in text


def test_a_headache_past_its_window_keeps_only_the_red_flag_pointer_until_the_clinic(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=30))
    page = _answer(client_for("a1"), symptom="headache", severity_headache="mild", onset_headache="60")
    tips = _block(page, r'<div class="answer-tips muted" data-testid="tips">.*?</div>')
    assert tips == (
        "Until you speak to the clinic: A sudden, severe headache is different: see the red flags."
    )
    assert "Drink water." not in page_text(page)


def test_see_the_red_flags_links_to_when_to_get_help_now(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    client = client_for("a1")
    page = _answer(client, symptom="headache", severity_headache="mild")
    link = re.search(r'<a href="([^"]+)" data-testid="red-flags-link">see the red flags</a>', page)
    assert link is not None, page_text(page)
    assert "What helps: Drink water." in page_text(page)
    url, anchor = link.group(1).split("#")
    listed = client.get(url).content.decode()
    assert f'<h2 id="{anchor}">When to get help now</h2>' in listed
    assert "Chest pain" in _block(listed, r'<section class="help-now".*?</section>')


@pytest.mark.parametrize("mood", ["2", "3"])
def test_a_low_mood_gets_a_calm_line_with_the_crisis_line(personas: Any, client_for: Any, mood: str) -> None:
    page = _answer(client_for("a1"), mood=mood)
    line = re.search(r'<p data-testid="low-mood-line">.*?</p>', page, re.S)
    assert line is not None, page_text(page)
    assert 'href="tel:988"' in line.group(0) and 'href="tel:911"' in line.group(0)
    assert "thoughts of suicide" in page_text(line.group(0))
    assert "Get help now" not in page_text(page) and 'data-testid="low-mood-support"' not in page
    assert not Alert.objects.exists()


def test_a_fair_mood_gets_no_crisis_line(personas: Any, client_for: Any) -> None:
    page = _answer(client_for("a1"), mood="4")
    assert 'data-testid="low-mood-line"' not in page and 'href="tel:988"' not in page


def test_in_the_chair_an_open_warning_sign_on_the_answer_says_tell_the_staff(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    make_session(patient, route="iv", state="observing")
    submit_checkin(
        patient=patient,
        idempotency_key="bladder",
        reports=[ReportIn("urinary_symptoms")],
        mood=5,
        note="",
        now=timezone.now() - dt.timedelta(minutes=10),
    )
    # A severe side effect asks for the clinic: in the chair, the staff with the patient now.
    page = _answer(client_for("a1"), symptom="nausea", severity_nausea="severe")
    staff = _block(page, r'<section [^>]*data-testid="tell-the-staff-now".*?</section>')
    assert staff.startswith("Tell the staff with you now")
    block = _block(page, r'<section class="emergency-screen still-open".*?</section>')
    assert "Pain or blood when passing urine" in block
    assert "If it is still there: tell the staff with you now." in block
    assert kb.knowledge().red_flags["urinary_symptoms"].patient_message not in block
    assert "contact your clinic" not in block.lower()
    assert "If you have already left the clinic: Emergency: Call 911" in block


def test_when_it_began_is_said_back_in_the_words_the_form_offered(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    client = client_for("a1")
    form = client.get(reverse("checkins:checkin")).content.decode()
    assert '<option value="60">About 1 hour after your session ' in form
    _answer(client, symptom="headache", severity_headache="mild", onset_headache="60")
    listed = page_text(client.get(reverse("checkins:episodes")).content.decode())
    assert "Is your headache gone? since about 1 hour after your session" in listed
    assert "60 minutes" not in listed


def test_every_time_offered_is_said_back_as_it_was_offered() -> None:
    dose = NOW - dt.timedelta(days=1)
    for value, offered in AFTER_TREATMENT:
        said = began_words(
            onset_day=None,
            onset_min=float(value),
            dose_started_at=dose,
            reported_at=NOW,
            zone=dt.UTC,
            now=NOW,
        )
        assert said == f"since about {offered} after your session", (value, said)


def test_a_symptom_ticked_with_no_start_is_reported_not_still_there(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=4, minutes=30))
    page = page_text(_answer(client_for("a1"), symptom="nausea", severity_nausea="mild"))
    assert (
        "Feeling sick (nausea) was reported 4 days after your dose, and you did not say when it began" in page
    )
    assert "still there" not in page and "Please contact your clinic today" in page


def test_a_symptom_said_still_there_is_still_there(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=4, minutes=30))
    client = client_for("a1")
    _answer(client, symptom="nausea", severity_nausea="mild")
    episode = SymptomReport.objects.get()
    page = page_text(_answer(client, **{f"episode_{episode.public_id}": "still"}))
    assert "Feeling sick (nausea) is still there 4 days after the dose" in page


@pytest.mark.parametrize(("strength", "said"), [("", "not given"), ("moderate", "moderate")])
def test_the_red_flag_alert_says_how_strong(personas: Any, client_for: Any, strength: str, said: str) -> None:
    _answer(client_for("a1"), symptom="worsening_mood", severity_worsening_mood=strength, mood="3")
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    page = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    assert f"Reported: Mood getting worse (how strong: {said})." in page_text(page)
