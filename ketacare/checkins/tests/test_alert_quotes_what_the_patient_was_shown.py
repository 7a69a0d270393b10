"""A check-in's alert quotes what the patient was shown, word for word, and a red flag found in their own
words carries no strength they never gave.

- In the chair the answer's box says "You are at the clinic: tell a member of staff now." (not the red
  flag's "call your clinic now, or a crisis line"); the alert quotes those words, through the form and
  through the JSON API, which returns them for the client to show. At home it quotes the home words.
- Thoughts of suicide typed as free text (no strength chosen) are stored as "not given": no "(mild)" on
  the patient's answer (which says their words back), the clinic's pages or a later alert; the level,
  guidance and alert stay.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.answer_box import AT_THE_CLINIC
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text, screen_text
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

IN_THE_CHAIR = "You are at the clinic: tell a member of staff now. They are close by and can help at once."
SUICIDAL_WORDS = "I have had suicidal thoughts since yesterday"


def _send(client: Any, key: str = "k1", **fields: Any) -> Any:
    sent = client.post(reverse("checkins:checkin"), {"idempotency_key": key, "action": "submit", **fields})
    assert sent.status_code == 303, sent.content.decode()[:800]
    return sent


def _alert_page(client_for: Any, alert: Alert) -> str:
    response = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id]))
    assert response.status_code == 200
    return page_text(response.content.decode())


def _quoted(text: str) -> str:
    found = re.search(r"The patient was told: “(.*?)”", text)
    assert found is not None, text[:600]
    return found.group(1)


def test_the_words_are_the_ones_the_at_the_clinic_box_shows() -> None:
    from django.template.loader import render_to_string

    assert page_text(render_to_string("patients/_at_the_clinic.html")) == AT_THE_CLINIC == IN_THE_CHAIR


@pytest.mark.parametrize("flag_id", ["chest_pain", "suicidal_thoughts_without_plan"])
def test_an_in_chair_red_flag_alert_quotes_the_in_chair_words(
    personas: Any, client_for: Any, flag_id: str
) -> None:
    make_session(personas.a1, route="iv", state="observing")
    patient = client_for("a1")
    sent = _send(patient, symptom=flag_id)
    screen = screen_text(patient.get(sent["Location"]).content.decode())
    flag = kb.knowledge().red_flags[flag_id]
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    page = _alert_page(client_for, alert)
    told = _quoted(page)
    assert told == f"{IN_THE_CHAIR} Tell them what you told us here: {flag.name}."
    # Word for word what the patient's box said, and not the words for a patient at home.
    assert told in screen
    assert flag.patient_message not in page and "call your clinic now" not in told
    assert "What the patient was told on screen is quoted above." in page


def test_an_at_home_red_flag_alert_quotes_the_home_words(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    patient = client_for("a1")
    sent = _send(patient, symptom="suicidal_thoughts_without_plan")
    screen = screen_text(patient.get(sent["Location"]).content.decode())
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    told = _quoted(_alert_page(client_for, alert))
    assert told == kb.knowledge().red_flags["suicidal_thoughts_without_plan"].patient_message
    assert told in screen and "call your clinic now, or a crisis line if it is closed" in told
    assert "tell a member of staff" not in told


def test_in_the_chair_below_an_emergency_the_alert_quotes_tell_the_staff(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, route="iv", state="observing")
    patient = client_for("a1")
    sent = _send(patient, symptom="worsening_mood", mood="3")
    body = patient.get(sent["Location"]).content.decode()
    box = re.search(r'<section[^>]*data-testid="tell-the-staff-now".*?</section>', body, re.S)
    assert box is not None
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    told = _quoted(_alert_page(client_for, alert))
    assert told == f"{IN_THE_CHAIR} Tell them what you told us here: Mood getting worse."
    assert told in page_text(box.group(0))


def test_the_api_returns_the_in_chair_words_and_the_alert_quotes_them(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="observing")
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "api-chair", "reports": [{"symptom_id": "chest_pain"}]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    told = response.json()["triage_result"]["patient_was_told"]
    assert told == {
        "at_the_clinic": True,
        "words": f"{IN_THE_CHAIR} Tell them what you told us here: Chest pain.",
    }
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    assert _quoted(_alert_page(client_for, alert)) == told["words"]


def test_the_api_at_home_returns_and_quotes_the_home_words(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "api-home", "reports": [{"symptom_id": "chest_pain"}]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    result = response.json()["triage_result"]
    assert result["patient_was_told"] == {"at_the_clinic": False, "words": result["patient_message"]}
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    assert _quoted(_alert_page(client_for, alert)) == result["patient_message"]


# Thoughts of suicide in the patient's own words: no strength was chosen, so none is shown.


def test_suicidal_thoughts_in_free_text_are_not_given_a_strength(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    sent = _send(patient, other_text=SUICIDAL_WORDS)
    answer = page_text(patient.get(sent["Location"]).content.decode())
    name = kb.knowledge().red_flags["suicidal_thoughts_without_plan"].name
    # The patient's page says their words back; the clinic's pages keep the name and "not given".
    assert "In your words: “suicidal”" in answer and "(how strong: not given)" not in answer
    assert "(mild)" not in answer and "mild" not in answer.lower()
    # Its level, guidance and alert stay.
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_level == "urgent"
    assert "Get help now" in answer and "Crisis line" in answer
    [detail] = checkin.triage_result["details"]
    assert (detail["symptom_id"], detail["severity"], detail["matched_text"]) == (
        "suicidal_thoughts_without_plan",
        "",
        "suicidal",
    )
    assert SymptomReport.objects.get().severity == ""
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    assert alert.severity == "urgent"
    page = _alert_page(client_for, alert)
    assert f"Reported: {name} (in their own words)." in page
    assert "mild" not in page.lower()
    staff = html.unescape(
        client_for("clinician_a")
        .get(reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)}))
        .content.decode()
    )
    row = re.search(rf"<tr><td><strong>{re.escape(name)}</strong> \(red flag\).*?</tr>", staff, re.S)
    assert row is not None and "<td>Not given</td>" in row.group(0) and "Mild" not in row.group(0)


def test_still_there_later_the_alert_says_not_given_not_mild(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    _send(patient, key="first", other_text=SUICIDAL_WORDS)
    episode = SymptomReport.objects.get()
    Alert.objects.all().delete()
    _send(patient, key="second", **{f"episode_{episode.public_id}": "still"})
    alert = Alert.objects.get(source=Alert.Source.RED_FLAG_CHECKIN)
    name = kb.knowledge().red_flags["suicidal_thoughts_without_plan"].name
    assert f"{name} (how strong: not given)" in alert.detail
    assert "mild" not in _alert_page(client_for, alert).lower()


def test_the_api_stores_a_red_flag_in_the_words_as_not_given(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "api-words", "other_text": SUICIDAL_WORDS}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    details = response.json()["triage_result"]["details"]
    assert [(d["symptom_id"], d["severity"]) for d in details] == [("suicidal_thoughts_without_plan", "")]
    assert response.json()["triage_level"] == "urgent"
