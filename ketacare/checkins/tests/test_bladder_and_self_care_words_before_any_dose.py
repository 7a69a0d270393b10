"""Before any dose the red flags about urine and about not managing on one's own name no treatment: no
"bladder irritation caused by ketamine", no "after treatment". They stay the same red flags, at the same
level, with the same guidance and their clinic alert. After a dose each keeps its own words."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin
from tests.support.checkins import make_dose
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 41, tzinfo=dt.UTC)
FIRST_SESSION = dt.datetime(2026, 12, 9, 15, 0, tzinfo=dt.UTC)
BLADDER = "urinary_symptoms"
SELF_CARE = "unable_to_care_for_self"
# Words that say ketamine or a treatment the patient never had is behind it.
UNTRUE = ("caused by ketamine", "after treatment", "after the dose", "next treatment")


@pytest.fixture
def first_session_booked(personas: Any) -> Any:
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        return make_planned_session(personas.a1, starts_at=FIRST_SESSION)


def _main(page: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", page, re.S)
    assert found is not None
    return page_text(found.group(1))


def _send(client: Any, flag: str) -> Any:
    return client.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": uuid.uuid4().hex,
            "action": "submit",
            "symptom": flag,
            f"severity_{flag}": "moderate",
        },
        follow=True,
    )


@pytest.mark.parametrize(
    ("flag", "level", "says"),
    [
        (
            BLADDER,
            "urgent",
            "Pain or blood when you pass urine, or needing to go often or urgently, needs to be checked. "
            "Contact your clinic today so they can review you before your first treatment.",
        ),
        (
            SELF_CARE,
            "contact_clinic",
            "If you cannot manage on your own (eating, drinking, getting to the toilet safely), please "
            "contact your clinic today and ask someone to stay with you",
        ),
    ],
)
def test_before_any_dose_the_answer_and_the_alert_name_no_treatment(
    personas: Any, client_for: Any, first_session_booked: Any, flag: str, level: str, says: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _send(client_for("a1"), flag)
    assert response.status_code == 200
    text = _main(response.content.decode())
    assert says in text
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_level == level and checkin.triage_result["details"][0]["red_flag_id"] == flag
    alert = Alert.objects.get(dedupe_key=f"checkin:{checkin.public_id}")
    assert alert.source == Alert.Source.RED_FLAG_CHECKIN and alert.evidence["red_flags"] == [flag]
    told = alert.detail.split("The patient was told:", 1)[1]
    for untrue in UNTRUE:
        assert untrue not in text, untrue
        assert untrue not in told, untrue


@pytest.mark.parametrize(
    ("flag", "own_words"),
    [
        (BLADDER, "can be a sign of bladder irritation caused by ketamine"),
        (SELF_CARE, "If you cannot manage on your own after treatment"),
    ],
)
def test_after_a_dose_each_keeps_its_own_words(
    personas: Any, client_for: Any, flag: str, own_words: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        make_dose(personas.a1, started_at=NOW - dt.timedelta(hours=30))
        answer = _send(client_for("a1"), flag).content.decode()
    assert own_words in _main(answer)
