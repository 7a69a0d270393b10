"""Decision 0012 in the check-in: "something else" in the patient's words, onset, home blood pressure and
the hold on the next dose — through the service, the form and the JSON API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import CheckinError, HomeBpIn, ReportIn, submit_checkin
from ketacare.patients.facts import next_dose_hold
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

EMERGENCY_WORDS = "my heart is pounding and I can't breathe"
VAGUE_WORDS = "a strange tingling in my feet since this morning"


def _post(client: Any, **extra: Any) -> Any:
    """Send the check-in form and follow its redirect (a refused form is answered at once, 400)."""
    data = {"idempotency_key": uuid.uuid4().hex, "action": "submit", **extra}
    return client.post(reverse("checkins:checkin"), data, follow=True)


def _api(client: Any, **body: Any) -> Any:
    return client.post(
        reverse("api:submit_checkin"),
        json.dumps({"idempotency_key": uuid.uuid4().hex, **body}),
        content_type="application/json",
    )


def _submit(patient: Any, **kwargs: Any) -> Any:
    values: dict[str, Any] = {"reports": [], "mood": None, "note": "", "now": timezone.now(), **kwargs}
    return submit_checkin(patient=patient, idempotency_key=uuid.uuid4().hex, **values)


# 1. "Something else? Describe it"


@pytest.mark.parametrize("words", [EMERGENCY_WORDS, "chest pain", "I fainted", "I want to kill myself"])
def test_emergency_words_take_the_red_flag_path_with_one_emergency_alert(personas: Any, words: str) -> None:
    outcome = _submit(personas.a1, other_text=words)
    checkin = outcome.checkin
    assert checkin.triage_level == "emergency" and checkin.is_red_flag
    assert checkin.other_text == words
    alert = Alert.objects.get()
    assert alert.dedupe_key == f"checkin:{checkin.public_id}"
    assert alert.severity == Alert.Severity.EMERGENCY and alert.clinic == personas.clinic_a
    assert words in alert.detail  # the clinician reads the patient's own words
    # The red flag found in the words is an episode like a ticked one (closed only by a person).
    assert SymptomReport.objects.filter(patient=personas.a1, kind="red_flag").exists()


def test_emergency_words_never_wait_for_the_worry_answer(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), other_text=EMERGENCY_WORDS)
    assert response.status_code == 200
    assert b"Get help now" in response.content and b"tel:911" in response.content
    assert Alert.objects.get().severity == "emergency"


@pytest.mark.parametrize(
    ("worry", "severity"), [("a_little", "contact_clinic"), ("quite", "contact_clinic"), ("very", "urgent")]
)
def test_other_words_raise_one_review_alert_whose_severity_follows_the_worry(
    personas: Any, worry: str, severity: str
) -> None:
    checkin = _submit(personas.a1, other_text=VAGUE_WORDS, worry=worry).checkin
    assert checkin.triage_result["review_required"] is True
    assert checkin.triage_level == "contact_clinic"
    alert = Alert.objects.get()
    assert alert.severity == severity
    assert alert.dedupe_key == f"checkin:{checkin.public_id}"
    assert "review" in alert.title.lower() and VAGUE_WORDS in alert.detail
    assert alert.source == "checkin_review"  # filterable apart from red flags in the inbox


def test_the_words_and_a_red_flag_ticked_together_still_raise_one_alert(personas: Any) -> None:
    _submit(personas.a1, reports=[ReportIn("chest_pain", "mild")], other_text=VAGUE_WORDS, worry="quite")
    alert = Alert.objects.get()
    assert alert.severity == "emergency" and VAGUE_WORDS in alert.detail


def test_a_retry_with_the_same_key_raises_no_second_alert(personas: Any) -> None:
    kwargs: dict[str, Any] = {
        "patient": personas.a1,
        "idempotency_key": "same",
        "reports": [],
        "mood": None,
        "note": "",
        "other_text": VAGUE_WORDS,
        "worry": "very",
    }
    first = submit_checkin(now=timezone.now(), **kwargs)
    again = submit_checkin(now=timezone.now(), **kwargs)
    assert first.created and not again.created and again.checkin == first.checkin
    assert Alert.objects.count() == 1


def test_words_that_need_review_are_taken_without_the_worry_answer(personas: Any) -> None:
    # A patient who typed in a panic and skipped "How worried are you?" gets help, never an error: the
    # words are stored and reviewed at the review level, and the clinic reads "not answered".
    checkin = _submit(personas.a1, other_text=VAGUE_WORDS).checkin
    assert checkin.other_text == VAGUE_WORDS and checkin.worry == ""
    assert checkin.triage_result["review_required"] is True
    alert = Alert.objects.get()
    assert alert.severity == "contact_clinic" and "How worried they are: not answered." in alert.detail


def test_nothing_else_is_no_review(personas: Any) -> None:
    checkin = _submit(personas.a1, other_text="nothing").checkin
    assert checkin.triage_level == "expected" and not Alert.objects.exists()


def test_the_form_shows_if_in_doubt_call_with_the_clinic_phone_and_the_emergency_line(
    personas: Any, client_for: Any
) -> None:
    response = _post(client_for("a1"), other_text=VAGUE_WORDS, worry="a_little")
    assert response.status_code == 200
    body = response.content.decode()
    assert "If in doubt, call" in body
    assert f"tel:{personas.clinic_a.phone}" in body and f"tel:{personas.clinic_a.emergency_number}" in body
    assert VAGUE_WORDS in body
    assert Alert.objects.get().severity == "contact_clinic"


def test_the_form_asks_how_worried_but_never_refuses_the_words_for_it(personas: Any, client_for: Any) -> None:
    assert "How worried are you" in client_for("a1").get(reverse("checkins:checkin")).content.decode()
    response = _post(client_for("a1"), other_text=VAGUE_WORDS)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" not in body and "If in doubt, call" in body
    assert VAGUE_WORDS in body  # what the patient typed is said back
    assert SymptomCheckin.objects.get().worry == ""


def test_the_api_takes_the_words_and_the_worry(personas: Any, client_for: Any) -> None:
    response = _api(client_for("a1"), other_text=VAGUE_WORDS, worry="very")
    assert response.status_code == 201, response.content
    assert response.json()["other_text"] == VAGUE_WORDS and response.json()["worry"] == "very"
    assert Alert.objects.get().severity == "urgent"
    emergency = _api(client_for("a1"), other_text="chest pain")
    assert emergency.json()["triage_level"] == "emergency"
    # Without the worry answer the words are taken all the same (never a 422 instead of help).
    missing = _api(client_for("a1"), other_text=VAGUE_WORDS)
    assert missing.status_code == 201, missing.content
    assert missing.json()["worry"] == "" and missing.json()["triage_result"]["review_required"] is True


# 2. Onset and home blood pressure


def test_onset_is_passed_to_triage_and_kept(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=6))
    response = _api(
        client_for("a1"), reports=[{"symptom_id": "nausea", "severity": "mild", "onset_min": 300}]
    )
    assert response.status_code == 201, response.content
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_result["details"][0]["onset_min"] == 300
    # Started after its window ended: a new symptom, contact the clinic (decision 0012 rule 7).
    assert checkin.triage_level == "contact_clinic"
    assert SymptomReport.objects.get().onset_min == 300


def test_a_home_crisis_reading_is_urgent_and_stored(personas: Any) -> None:
    checkin = _submit(personas.a1, home_bp=HomeBpIn(185, 125, 90)).checkin
    assert (checkin.home_systolic_mmhg, checkin.home_diastolic_mmhg, checkin.home_pulse_bpm) == (185, 125, 90)
    assert checkin.triage_level == "urgent"
    alert = Alert.objects.get()
    assert alert.severity == "urgent" and "185/125" in alert.title


def test_a_home_crisis_reading_with_chest_pain_is_an_emergency(personas: Any) -> None:
    _submit(personas.a1, reports=[ReportIn("chest_pain")], home_bp=HomeBpIn(190, 110))
    assert Alert.objects.get().severity == "emergency"


def test_a_reading_above_the_clinics_own_home_limits_goes_to_the_clinic(personas: Any) -> None:
    # 135/88 is below the route's hold levels (140/90): expected unless the clinic set lower limits.
    assert _submit(personas.a1, home_bp=HomeBpIn(135, 88)).checkin.triage_level == "expected"
    clinic = personas.a1.clinic
    clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg = 130, 85
    clinic.save(update_fields=["home_bp_hold_systolic_mmhg", "home_bp_hold_diastolic_mmhg"])
    personas.a1.refresh_from_db()
    checkin = _submit(personas.a1, home_bp=HomeBpIn(135, 88)).checkin
    assert checkin.triage_level == "contact_clinic"
    assert Alert.objects.get(patient=personas.a1).source == "home_blood_pressure"
    # A check-in without a reading is triaged as before with the limits set.
    assert _submit(personas.a1).checkin.triage_level == "expected"


def test_a_normal_home_reading_raises_nothing(personas: Any) -> None:
    checkin = _submit(personas.a1, home_bp=HomeBpIn(120, 80)).checkin
    assert checkin.triage_level == "expected" and not Alert.objects.exists()


@pytest.mark.parametrize(
    ("reading", "field", "allowed"),
    [
        (HomeBpIn(400, 80), "home_systolic_mmhg", "50 to 300"),
        (HomeBpIn(120, 5), "home_diastolic_mmhg", "20 to 200"),
        (HomeBpIn(120, 80, 300), "home_pulse_bpm", "20 to 250"),
        (HomeBpIn(80, 120), "home_diastolic_mmhg", "lower than the top number"),
    ],
)
def test_a_home_reading_out_of_range_names_the_field_and_stores_nothing(
    personas: Any, reading: HomeBpIn, field: str, allowed: str
) -> None:
    with pytest.raises(CheckinError) as caught:
        _submit(personas.a1, home_bp=reading)
    assert caught.value.field == field and allowed in caught.value.message
    assert not SymptomCheckin.objects.exists()


def test_the_form_names_the_out_of_range_field(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), home_systolic_mmhg="400", home_diastolic_mmhg="80")
    assert response.status_code == 400
    assert "Top number (systolic): enter a number from 50 to 300" in response.content.decode()
    assert not SymptomCheckin.objects.exists()
    half = _post(client_for("a1"), home_systolic_mmhg="150")
    assert half.status_code == 400 and "Enter both numbers" in half.content.decode()


def test_the_form_takes_a_home_reading(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), home_systolic_mmhg="185", home_diastolic_mmhg="125")
    assert response.status_code == 200
    assert SymptomCheckin.objects.get().home_systolic_mmhg == 185
    assert Alert.objects.get().severity == "urgent"


def test_the_api_names_the_home_bp_field(personas: Any, client_for: Any) -> None:
    response = _api(client_for("a1"), home_bp={"systolic_mmhg": 120, "diastolic_mmhg": 300})
    assert response.status_code == 422
    assert "home_diastolic_mmhg" in [error["field"] for error in response.json()["errors"]]
    assert not SymptomCheckin.objects.exists()


# 3. Hold on the next dose


def test_urinary_symptoms_pause_the_next_dose_until_the_alert_is_resolved(personas: Any) -> None:
    assert next_dose_hold(personas.a1) is None
    checkin = _submit(personas.a1, reports=[ReportIn("urinary_symptoms", "moderate")]).checkin
    assert checkin.triage_result["hold_next_dose"] is True
    alert = Alert.objects.get()  # one alert for the check-in, saying the dose is paused
    assert "Next dose paused until a prescriber reviews" in alert.title
    assert alert.evidence["holds_next_dose"] is True and alert.needs_prescriber
    hold = next_dose_hold(personas.a1)
    assert hold is not None and "prescriber" in hold
    assert next_dose_hold(personas.a2) is None
    alert.state = Alert.State.RESOLVED
    alert.save(update_fields=["state"])
    assert next_dose_hold(personas.a1) is None


def test_bladder_words_also_pause_the_next_dose(personas: Any) -> None:
    checkin = _submit(personas.a1, other_text="there is blood in my urine").checkin
    assert checkin.triage_result["hold_next_dose"] is True
    assert next_dose_hold(personas.a1) is not None
    assert "Next dose paused" in Alert.objects.get().title


def test_a_red_flag_with_bladder_symptoms_keeps_its_source_and_still_holds_the_dose_for_a_prescriber(
    personas: Any,
) -> None:
    _submit(personas.a1, reports=[ReportIn("chest_pain", "mild"), ReportIn("urinary_symptoms", "moderate")])
    alert = Alert.objects.get()
    assert alert.source == Alert.Source.RED_FLAG_CHECKIN
    assert "chest_pain" in alert.evidence["red_flags"] and alert.evidence["holds_next_dose"] is True
    assert alert.needs_prescriber


def test_staff_see_the_words_the_worry_and_the_reading_on_the_check_ins_page(
    personas: Any, client_for: Any
) -> None:
    _submit(personas.a1, other_text=VAGUE_WORDS, worry="very", home_bp=HomeBpIn(150, 95, 80))
    url = reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    body = client_for("clinician_a").get(url).content.decode()
    assert VAGUE_WORDS in body and "very worried" in body and "150/95 mmHg, pulse 80" in body


def test_an_onset_estimate_later_than_now_counts_as_now_not_an_error(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    response = _post(client_for("a1"), symptom="headache", severity_headache="mild", onset_headache="240")
    assert response.status_code == 200
    onset = SymptomCheckin.objects.get().triage_result["details"][0]["onset_min"]
    assert 119 <= onset <= 121


def test_an_urgent_alert_about_thoughts_of_suicide_is_resolved_only_with_a_note(
    personas: Any, client_for: Any
) -> None:
    # "Thoughts of suicide (no plan)" is urgent, not an emergency; its alert still needs the outcome.
    response = _post(client_for("a1"), other_text="I have had suicidal thoughts since yesterday")
    assert response.status_code == 200
    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.URGENT
    assert alert.evidence["red_flags"] == ["suicidal_thoughts_without_plan"]
    # "No plan stated", not "no plan": the patient's words did not say, and staff must not read it as safe.
    assert "Thoughts of suicide or self-harm (no plan stated)" in alert.title
    nurse = client_for("clinician_a")
    acknowledged = nurse.post(
        reverse("alerts:acknowledge", args=[alert.public_id]), {"note": "Calling her now"}
    )
    assert acknowledged.status_code == 302
    page = nurse.get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    assert "Resolution note (required: what was done and the outcome)" in page
    refused = nurse.post(reverse("alerts:resolve", args=[alert.public_id]), {"note": ""})
    assert refused.status_code == 400
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED
    done = nurse.post(
        reverse("alerts:resolve", args=[alert.public_id]),
        {
            "note": "Called her: safety plan agreed, seen tomorrow",
            "outcome": "reached_by_phone",
            "assessed_by": "Clinician A, nurse practitioner",
        },
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
