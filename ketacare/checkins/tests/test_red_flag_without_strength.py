"""A red flag is never refused for a missing strength: sent as "not given", triaged at its own level, its
guidance shown and the clinic alerted in the same transaction; the pages say the strength was not given.
A side effect sent with it is not refused either (one step to the guidance, nothing held back)."""

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
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# Red flags whose row asks "How strong?" (a severe rating would raise their level).
ASKED = ("worsening_mood", "suicidal_thoughts_without_plan", "urinary_symptoms", "craving_or_misuse")


def _post(client: Any, **fields: Any) -> Any:
    return client.post(reverse("checkins:checkin"), {"idempotency_key": "k", "action": "submit", **fields})


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def _staff_page(client_for: Any, personas: Any) -> str:
    url = reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    return html.unescape(client_for("clinician_a").get(url).content.decode())


@pytest.mark.parametrize("flag_id", ASKED)
def test_a_red_flag_without_a_strength_is_sent_escalated_and_its_guidance_shown(
    personas: Any, client_for: Any, flag_id: str
) -> None:
    client = client_for("a1")
    response = _post(client, symptom=flag_id, mood="2")
    assert response.status_code == 303, _text(response)[:600]
    checkin = SymptomCheckin.objects.get()
    flag = kb.knowledge().red_flags[flag_id]
    # Its own level: a strength not given is not read as severe.
    assert checkin.triage_level == flag.level.value
    report = SymptomReport.objects.get()
    assert (report.symptom_id, report.severity) == (flag_id, "")
    alert = Alert.objects.get(dedupe_key=f"checkin:{checkin.public_id}")
    assert alert.source == Alert.Source.RED_FLAG_CHECKIN and flag.name in alert.title
    answer = _text(client.get(response["Location"]))
    assert flag.worded(before_any_dose=True).patient_message in answer
    # The clinic's page says the strength was not given.
    row = re.search(
        rf"<tr><td><strong>{re.escape(flag.name)}</strong> \(red flag\).*?</tr>",
        _staff_page(client_for, personas),
        re.S,
    )
    assert row is not None and "<td>Not given</td>" in row.group(0)


def test_thoughts_of_suicide_without_a_strength_show_the_emergency_screen(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    response = _post(client, symptom="suicidal_thoughts_without_plan", mood="1")
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert 'class="emergency-screen"' in page and "Crisis line" in page
    assert Alert.objects.get().severity == "urgent"


def test_a_red_flag_and_a_side_effect_without_strengths_are_both_sent(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    client = client_for("a1")
    response = _post(client, symptom=["worsening_mood", "nausea"], mood="2")
    assert response.status_code == 303, _text(response)[:600]
    assert {(r.symptom_id, r.severity) for r in SymptomReport.objects.all()} == {
        ("worsening_mood", ""),
        ("nausea", ""),
    }
    assert Alert.objects.filter(source=Alert.Source.RED_FLAG_CHECKIN).count() == 1
    answer = _text(client.get(response["Location"]))
    assert "Feeling sick (nausea) (how strong: not given)" in answer
    staff = _staff_page(client_for, personas)
    nausea = re.search(r"<tr><td>Feeling sick \(nausea\).*?</tr>", staff, re.S)
    assert nausea is not None and "<td>Not given</td>" in nausea.group(0)


def test_the_strength_given_for_a_red_flag_is_shown_to_the_patient_and_the_clinic(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    response = _post(client, symptom="worsening_mood", severity_worsening_mood="moderate", mood="3")
    assert response.status_code == 303
    assert "Mood getting worse (moderate)" in _text(client.get(response["Location"]))
    row = re.search(
        r"<tr><td><strong>Mood getting worse</strong> \(red flag\).*?</tr>",
        _staff_page(client_for, personas),
        re.S,
    )
    assert row is not None and "<td>Moderate</td>" in row.group(0)


def test_an_emergency_red_flag_reads_as_not_asked(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    response = _post(client, symptom="chest_pain")
    assert response.status_code == 303
    assert SymptomReport.objects.get().severity == ""
    answer = _text(client.get(response["Location"]))
    assert "Chest pain (" not in answer
    row = re.search(
        r"<tr><td><strong>Chest pain</strong> \(red flag\).*?</tr>", _staff_page(client_for, personas), re.S
    )
    assert row is not None and "<td>Not asked (an emergency)</td>" in row.group(0)


def test_a_side_effect_alone_without_a_strength_is_still_asked(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), symptom="nausea", mood="5")
    assert response.status_code == 400
    assert "How strong (Feeling sick (nausea)): choose mild, moderate or severe" in _text(response)
    assert not SymptomCheckin.objects.exists()


def test_the_api_takes_a_red_flag_without_a_severity_as_not_given(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": "api-1", "mood": 2, "reports": [{"symptom_id": "worsening_mood"}]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["triage_level"] == "contact_clinic"
    assert [(d["symptom_id"], d["severity"]) for d in body["triage_result"]["details"]] == [
        ("worsening_mood", "")
    ]
    assert SymptomReport.objects.get().severity == ""
    assert Alert.objects.filter(source=Alert.Source.RED_FLAG_CHECKIN).count() == 1


def test_the_api_still_refuses_a_strength_that_is_not_one_of_the_three(
    personas: Any, client_for: Any
) -> None:
    response = client_for("a1").post(
        reverse("api:submit_checkin"),
        json.dumps(
            {"idempotency_key": "api-2", "reports": [{"symptom_id": "worsening_mood", "severity": ""}]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not SymptomCheckin.objects.exists()


def test_a_red_flag_in_the_patients_words_sends_a_side_effect_without_a_strength(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    response = _post(client_for("a1"), symptom="nausea", other_text="I want to die", mood="1")
    assert response.status_code == 303, _text(response)[:600]
    assert SymptomReport.objects.get(symptom_id="nausea").severity == ""
    assert SymptomCheckin.objects.get().triage_level == "urgent"
    assert Alert.objects.filter(source=Alert.Source.RED_FLAG_CHECKIN).count() == 1


def test_a_red_flag_without_a_strength_can_be_said_still_there(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    assert _post(client, symptom="worsening_mood", mood="2").status_code == 303
    episode = SymptomReport.objects.get()
    again = client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": "k2", "action": "submit", f"episode_{episode.public_id}": "still", "mood": "2"},
    )
    assert again.status_code == 303, _text(again)[:600]
    assert SymptomCheckin.objects.count() == 2
    episode.refresh_from_db()
    assert episode.severity == "" and episode.resolved_at is None
