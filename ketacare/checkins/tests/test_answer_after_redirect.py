"""A sent check-in is stored, then the browser is sent to its answer page (Post/Redirect/Get).

A refresh of the answer page is a GET: it never sends the check-in again. The page shows what the answer
to the POST showed, computed from the stored check-in (its triage level and result): the emergency
screen first of all, the advice for each symptom, the red flags still open from before, and only to the
patient who sent it. A check-in that cannot be stored still comes back on the form with a 400.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.audit.models import AccessEvent
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

CHECKIN = reverse("checkins:checkin")


def _send(client: Any, key: str | None = None, **fields: Any) -> Any:
    return client.post(CHECKIN, {"idempotency_key": key or uuid.uuid4().hex, "action": "submit", **fields})


def _result_url(checkin: SymptomCheckin) -> str:
    return reverse("checkins:result", kwargs={"checkin_id": str(checkin.public_id)})


def _text(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _still_open(page: str) -> str:
    block = re.search(r'<section class="emergency-screen still-open".*?</section>', page, re.S)
    return block.group(0) if block else ""


def test_a_red_flag_leads_after_the_redirect_to_the_emergency_screen_and_a_refresh_sends_nothing(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    sent = _send(client, symptom="chest_pain", severity_chest_pain="moderate")
    stored = SymptomCheckin.objects.get()
    # A 303 to this check-in's own GET page: the POST's answer is no page a refresh could post again.
    assert sent.status_code == 303 and sent["Location"] == _result_url(stored)
    assert sent.content == b""
    alert = Alert.objects.get()
    assert alert.patient == personas.a1 and alert.source == "red_flag_checkin"
    assert alert.severity == "emergency" and alert.dedupe_key == f"checkin:{stored.public_id}"
    assert alert.assignee == personas.clinician_a
    page = client.get(sent["Location"])
    body = _text(page)
    screen = re.search(r'<section class="emergency-screen" role="alert".*?</section>', body, re.S)
    assert screen is not None, body[:2000]
    assert "Get help now" in screen.group(0) and 'data-level="emergency"' in screen.group(0)
    assert stored.triage_result["patient_message"] in screen.group(0)
    assert 'href="tel:911"' in screen.group(0) and "Call 911" in screen.group(0)  # the emergency number
    assert 'href="tel:988"' in screen.group(0)  # the crisis line
    # Three numbers on a frightened patient's screen: each says what it is for, so chest pain goes to
    # the emergency number and not to the crisis line.
    assert "Crisis line, for thoughts of suicide or a mental-health crisis: " in " ".join(
        re.sub(r"<[^>]+>", " ", screen.group(0)).split()
    ).replace(" :", ":")
    assert f'href="tel:{personas.clinic_a.phone}"' in screen.group(0)  # the clinic
    assert "Your clinic has been alerted." in screen.group(0)
    assert "Chest pain" in body  # the symptom, under "Each symptom"
    # A refresh shows the same page and stores nothing more: no second check-in, no second alert.
    again = _text(client.get(sent["Location"]))
    assert "Get help now" in again and 'href="tel:911"' in again
    assert SymptomCheckin.objects.count() == 1 and Alert.objects.count() == 1
    assert SymptomReport.objects.filter(kind="red_flag").count() == 1


def test_the_emergency_numbers_are_the_patients_own_clinics(personas: Any, client_for: Any) -> None:
    client = client_for("b1")
    sent = _send(client, other_text="chest pain")
    assert sent.status_code == 303
    body = _text(client.get(sent["Location"]))
    assert "Get help now" in body
    assert f'href="tel:{personas.clinic_b.emergency_number}"' in body  # 112
    assert f'href="tel:{personas.clinic_b.crisis_line}"' in body  # 0800 1110111
    assert f'href="tel:{personas.clinic_b.phone}"' in body
    assert 'href="tel:911"' not in body and 'href="tel:988"' not in body
    assert Alert.objects.filter(patient=personas.b1, source="red_flag_checkin").count() == 1


def test_an_expected_effect_shows_its_level_and_self_care_from_the_stored_answer(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    client = client_for("a1")
    sent = _send(client, symptom="headache", severity_headache="mild", mood="6")
    assert sent.status_code == 303
    body = _text(client.get(sent["Location"]))
    stored = SymptomCheckin.objects.get()
    assert stored.triage_level == "expected"
    assert 'class="answer answer-expected" role="status" data-level="expected"' in body
    assert "Get help now" not in body
    (detail,) = stored.triage_result["details"]
    assert detail["self_care"], detail
    tips = re.search(r'<div class="answer-tips" data-testid="tips"><p>What helps:</p>.*?</div>', body, re.S)
    assert tips is not None, body[:2000]
    shown = re.sub(r"<[^>]+>", "", tips.group(0))  # "see the red flags" is a link to them
    for tip in detail["self_care"]:
        assert tip in shown
    assert "Your mood: 6 out of 10." in body
    assert 'Sent at <time datetime="' in body  # the page can be opened again later: it says when
    assert not Alert.objects.exists()


def test_the_answer_read_later_is_the_one_given_then_not_a_new_triage(personas: Any, client_for: Any) -> None:
    # Dizziness 2 hours after an IV dose is expected; the same dizziness at 10 hours would be longer
    # than expected. Opened again 8 hours later, the page still shows the answer the patient was given.
    dose = timezone.now() - dt.timedelta(hours=2)
    make_dose(personas.a1, started_at=dose)
    client = client_for("a1")
    sent = _send(client, symptom="dizziness", severity_dizziness="mild")
    assert SymptomCheckin.objects.get().triage_level == "expected"
    with time_machine.travel(timezone.now() + dt.timedelta(hours=8), tick=False):
        later = _text(client_for("a1").get(sent["Location"]))  # signed in again: sessions lock when idle
    assert 'data-level="expected"' in later and 'data-level="longer_than_expected"' not in later
    assert SymptomCheckin.objects.count() == 1 and not Alert.objects.exists()


def test_a_red_flag_still_open_from_before_is_repeated_on_the_answer_page(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(hours=2))
    submit_checkin(
        patient=personas.a1,
        idempotency_key="bladder",
        reports=[ReportIn("urinary_symptoms")],
        mood=5,
        note="",
        now=now - dt.timedelta(hours=1),
    )
    client = client_for("a1")
    sent = _send(client, symptom="nausea", severity_nausea="mild", mood="6")
    assert sent.status_code == 303
    body = _text(client.get(sent["Location"]))
    block = _still_open(body)
    assert "Pain or blood when passing urine" in block
    assert kb.knowledge().red_flags["urinary_symptoms"].patient_message in block
    assert f'href="tel:{personas.clinic_a.emergency_number}"' in block
    assert 'data-level="expected"' in body
    # Once the patient says it is gone, the page read again no longer repeats it.
    flag = SymptomReport.objects.get(symptom_id="urinary_symptoms")
    client.post(reverse("checkins:episodes"), {"episode": str(flag.public_id), "answer": "gone"})
    assert _still_open(_text(client.get(sent["Location"]))) == ""


def test_the_same_check_in_sent_twice_leads_to_the_same_answer_and_is_stored_once(
    personas: Any, client_for: Any
) -> None:
    # The back button can bring back the filled form with its key: sending it again is the same check-in.
    client = client_for("a1")
    first = _send(client, key="form-key-1", symptom="chest_pain", severity_chest_pain="mild")
    second = _send(client, key="form-key-1", symptom="chest_pain", severity_chest_pain="mild")
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert SymptomCheckin.objects.count() == 1 and Alert.objects.count() == 1


def test_a_check_in_that_cannot_be_stored_comes_back_on_the_form_with_a_400(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    empty = _send(client, key="k-empty", mood="", note="")
    assert empty.status_code == 400 and "Location" not in empty
    assert b"Nothing to send yet" in empty.content and b'class="checkin-form"' in empty.content
    bad_mood = _send(client, key="k-mood", mood="11")
    assert bad_mood.status_code == 400 and "Location" not in bad_mood
    assert b"Mood must be a whole number from 0 to 10." in bad_mood.content
    unknown = _send(client, key="k-unknown", symptom="chest_pain", severity_chest_pain="unbearable")
    assert unknown.status_code == 400 and "Location" not in unknown
    assert b'value="chest_pain"' in unknown.content  # the ticked red flag is kept on the form
    assert not SymptomCheckin.objects.exists() and not Alert.objects.exists()


def _rows(response: Any) -> Any:
    return AccessEvent.objects.filter(request_id=response["X-Request-ID"])


def test_only_the_patient_who_sent_it_opens_the_answer_and_every_opening_is_audited(
    personas: Any, client_for: Any
) -> None:
    _send(client_for("a1"), symptom="chest_pain", severity_chest_pain="mild")
    url = _result_url(SymptomCheckin.objects.get())
    own = client_for("a1").get(url)
    assert own.status_code == 200
    granted = _rows(own).get()
    assert (granted.action, granted.outcome) == ("read", "granted")
    assert granted.patient_public_id == str(personas.a1.public_id)
    for persona in ("a2", "b1", "clinician_a", "admin_a", "clinician_b"):
        refused = client_for(persona).get(url)
        assert refused.status_code == 404, persona
        assert b"Get help now" not in refused.content and b"CanaryA1" not in refused.content
        assert _rows(refused).get().outcome == "denied", persona
    assert client_for("anonymous").get(url).status_code == 302


def test_an_unknown_or_malformed_check_in_id_is_a_404_with_a_denied_row(
    personas: Any, client_for: Any
) -> None:
    for checkin_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = client_for("a1").get(reverse("checkins:result", kwargs={"checkin_id": checkin_id}))
        assert response.status_code == 404
        row = _rows(response).get()
        assert (row.outcome, row.object_type, row.object_id) == ("denied", "symptom_checkin", checkin_id)


def test_a_patient_in_the_chair_is_told_to_tell_the_staff_first(personas: Any, client_for: Any) -> None:
    # A red flag sent from the phone during the session: the nurse a few steps away helps fastest. The
    # box says that one thing (no numbers to call beside it); the clinic alert stays.
    from tests.support.treatments import make_session

    make_session(personas.a1, route="iv", state="observing")
    client = client_for("a1")
    sent = _send(client, symptom="chest_pain", severity_chest_pain="moderate")
    body = _text(client.get(sent["Location"]))
    screen = re.search(r'<section class="emergency-screen" role="alert".*?</section>', body, re.S)
    assert screen is not None
    assert "You are at the clinic: tell a member of staff now." in screen.group(0)
    assert "Tell them what you told us here: Chest pain." in screen.group(0)
    assert 'class="emergency-message"' not in screen.group(0) and 'href="tel:' not in screen.group(0)
    assert Alert.objects.filter(patient=personas.a1, source="red_flag_checkin").count() == 1


def test_a_patient_at_home_is_not_told_to_find_the_staff(personas: Any, client_for: Any) -> None:
    from tests.support.treatments import make_session

    make_session(personas.a1, route="iv", state="discharged")
    client = client_for("a1")
    body = _text(client.get(_send(client, symptom="chest_pain", severity_chest_pain="moderate")["Location"]))
    assert "Get help now" in body and 'href="tel:911"' in body
    assert "tell a member of staff" not in body
