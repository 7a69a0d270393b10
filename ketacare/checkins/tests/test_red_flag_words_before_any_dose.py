"""Before any dose the red flag "Hallucinations or agitation that have not worn off" speaks of no dose:
the form, a search and the answer read "Seeing or hearing things that are not there, or agitation". It
stays the same red flag: the urgent "Get help now" screen with the emergency number, and the clinic's
alert raised in the check-in's own transaction. After a dose the flag keeps its own words."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 41, tzinfo=dt.UTC)
FIRST_SESSION = dt.datetime(2026, 12, 9, 15, 0, tzinfo=dt.UTC)
FLAG = "hallucinations_agitation_past_window"
NO_DOSE_NAME = "Seeing or hearing things that are not there, or agitation"
AFTER_A_DOSE_NAME = "Hallucinations or agitation that have not worn off"
# Words that assume a dose the patient never had.
UNTRUE = ("worn off", "after treatment", "after the dose", "usual few hours")


@pytest.fixture
def first_session_booked(personas: Any) -> Any:
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        return make_planned_session(personas.a1, starts_at=FIRST_SESSION)


def _main(page: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", page, re.S)
    assert found is not None
    return page_text(found.group(1))


def _label(page: str, symptom_id: str) -> str:
    found = re.search(rf'<label for="sym-{symptom_id}">([^<]*)</label>', page)
    assert found is not None, symptom_id
    return found.group(1).strip()


def _send(client: Any, **fields: Any) -> Any:
    return client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields},
        follow=True,
    )


def test_the_form_before_any_dose_does_not_speak_of_a_dose_wearing_off(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    client = client_for("a1")
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("checkins:checkin")).content.decode()
        found = client.post(
            reverse("checkins:checkin"),
            {"idempotency_key": "k", "action": "search", "q": "hearing voices"},
        ).content.decode()
    assert _label(page, FLAG) == NO_DOSE_NAME
    assert "worn off" not in page
    assert f'<a href="#sym-{FLAG}">{NO_DOSE_NAME}</a>' in found
    assert "worn off" not in found


def test_ticked_before_any_dose_it_is_still_the_red_flag_with_help_now_and_its_alert(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _send(client_for("a1"), symptom=FLAG, **{f"severity_{FLAG}": "moderate"})
    assert response.status_code == 200
    page = response.content.decode()
    text = _main(page)
    assert text.startswith("Get help now Seeing or hearing things that are not there, or feeling agitated")
    assert "If anyone is in danger, call your local emergency number." in text
    assert '<a class="call" href="tel:911">Call 911</a>' in page
    for untrue in UNTRUE:
        assert untrue not in text, untrue
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_level == "urgent" and checkin.triage_result["details"][0]["red_flag_id"] == FLAG
    alert = Alert.objects.get(dedupe_key=f"checkin:{checkin.public_id}")
    assert alert.source == Alert.Source.RED_FLAG_CHECKIN and alert.severity == Alert.Severity.URGENT
    assert alert.title == f"Red flag in check-in: {NO_DOSE_NAME}"
    assert alert.evidence["red_flags"] == [FLAG]
    assert SymptomReport.objects.get().name == NO_DOSE_NAME


def test_before_any_dose_its_alert_and_the_check_in_are_written_together(
    personas: Any, client_for: Any, first_session_booked: Any, monkeypatch: Any
) -> None:
    import ketacare.checkins.services.submission as submission

    original = submission._raise_alerts

    def raise_then_crash(checkin: Any, result: Any) -> None:
        original(checkin, result)
        assert Alert.objects.filter(source=Alert.Source.RED_FLAG_CHECKIN).exists()
        raise RuntimeError("crash after the alert")

    monkeypatch.setattr(submission, "_raise_alerts", raise_then_crash)
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        _send(client_for("a1"), symptom=FLAG, **{f"severity_{FLAG}": "mild"})
    assert not SymptomCheckin.objects.exists() and not Alert.objects.exists()


def test_after_a_dose_the_flag_keeps_its_own_words(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        make_dose(personas.a1, started_at=NOW - dt.timedelta(hours=30))
        client = client_for("a1")
        page = client.get(reverse("checkins:checkin")).content.decode()
        answer = _send(client, symptom=FLAG, **{f"severity_{FLAG}": "moderate"}).content.decode()
    assert _label(page, FLAG) == AFTER_A_DOSE_NAME
    assert "Hallucinations or agitation that last beyond the usual few hours after treatment" in _main(answer)
    alert = Alert.objects.get()
    assert alert.title == f"Red flag in check-in: {AFTER_A_DOSE_NAME}"
