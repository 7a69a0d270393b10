""" "Has it gone?" offers only the times after the symptom was last seen present ("just now" always);
a time from before then is refused, naming the field and the allowed range, and nothing is stored.
A red flag is never "longer than usual": that choice is not offered for it."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # Clinic A's zone, and A1's
REPORTED = dt.datetime(2026, 12, 8, 4, 28, tzinfo=NEW_YORK)
A_MINUTE_LATER = REPORTED + dt.timedelta(minutes=1)
RANGE = "When it went (Chest pain): choose a time between 04:28, when you last told us it was there, and now."


def _report(patient: Any, symptom_id: str, at: dt.datetime) -> SymptomReport:
    submit_checkin(
        patient=patient,
        idempotency_key=symptom_id,
        reports=[ReportIn(symptom_id)],
        mood=None,
        note="",
        now=at,
        close_unticked=False,  # each report leaves the others open
    )
    return SymptomReport.objects.get(patient=patient, symptom_id=symptom_id)


def _options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, select_id
    return [html.unescape(text) for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


def _get(client: Any, name: str, **params: str) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_minute_after_chest_pain_the_question_offers_only_just_now(personas: Any, client_for: Any) -> None:
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        page = _get(client_for("a1"), "checkins:episodes", episode=str(flag.public_id))
    assert _options(page, "gone-when") == ["Gone: not sure when", "Gone just now"]
    # A red flag is never usual, so "longer than usual" is not asked; "Still there" still is.
    assert "It feels longer than usual" not in page and 'name="says_longer"' not in page
    assert "Still there" in page


def test_a_side_effect_reported_hours_ago_offers_every_time_and_asks_longer_than_usual(
    personas: Any, client_for: Any
) -> None:
    # After a dose: a side effect has a usual time to pass (before any dose it has none to compare).
    make_dose(personas.a1, started_at=REPORTED - dt.timedelta(hours=6))
    headache = _report(personas.a1, "headache", REPORTED - dt.timedelta(hours=5))
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        page = _get(client_for("a1"), "checkins:episodes", episode=str(headache.public_id))
    assert "About 4 hours ago" in _options(page, "gone-when")
    assert "It feels longer than usual" in page


def test_the_check_in_form_offers_each_open_symptom_its_own_possible_times(
    personas: Any, client_for: Any
) -> None:
    headache = _report(personas.a1, "headache", REPORTED - dt.timedelta(minutes=45))
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        page = _get(client_for("a1"), "checkins:checkin")
    assert _options(page, f"gone-{flag.public_id}") == ["Gone: not sure when", "Gone just now"]
    assert _options(page, f"gone-{headache.public_id}") == [
        "Gone: not sure when",
        "Gone just now",
        "About 30 min ago",
    ]


def test_an_impossible_time_on_the_question_page_is_refused_and_stores_nothing(
    personas: Any, client_for: Any
) -> None:
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        response = client_for("a1").post(
            reverse("checkins:episodes"),
            {"episode": str(flag.public_id), "answer": "gone", "gone_minutes_ago": "240"},
        )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert RANGE in page
    assert 'role="alert"' in page and 'href="#gone-when"' in page  # the summary links to the field
    flag.refresh_from_db()
    assert flag.resolved_at is None and flag.ended_at is None  # not moved silently to 04:28


@pytest.mark.parametrize("sent", ["abc", "-5", "99999", "2.5"])
def test_a_time_that_is_not_whole_minutes_is_refused(personas: Any, client_for: Any, sent: str) -> None:
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        response = client_for("a1").post(
            reverse("checkins:episodes"),
            {"episode": str(flag.public_id), "answer": "gone", "gone_minutes_ago": sent},
        )
    assert response.status_code == 400 and RANGE in html.unescape(response.content.decode())
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_just_now_closes_the_red_flag_at_now(personas: Any, client_for: Any) -> None:
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        response = client_for("a1").post(
            reverse("checkins:episodes"),
            {"episode": str(flag.public_id), "answer": "gone", "gone_minutes_ago": "0"},
        )
    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.resolved_at == A_MINUTE_LATER and flag.ended_at == A_MINUTE_LATER


def test_longer_than_usual_sent_for_a_red_flag_is_not_recorded(personas: Any, client_for: Any) -> None:
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        client_for("a1").post(
            reverse("checkins:episodes"),
            {"episode": str(flag.public_id), "answer": "still", "says_longer": "1"},
        )
    flag.refresh_from_db()
    assert flag.says_longer is False and flag.last_seen_at == A_MINUTE_LATER


def test_an_impossible_time_on_the_check_in_form_is_refused_at_its_field_and_stores_nothing(
    personas: Any, client_for: Any
) -> None:
    headache = _report(personas.a1, "headache", REPORTED - dt.timedelta(hours=1))
    flag = _report(personas.a1, "chest_pain", REPORTED)
    with time_machine.travel(A_MINUTE_LATER, tick=False):
        response = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": "gone-too-early",
                "action": "submit",
                "mood": "6",
                f"episode_{flag.public_id}": "gone",
                f"gone_{flag.public_id}": "240",
                f"episode_{headache.public_id}": "gone",
                f"gone_{headache.public_id}": "30",
            },
        )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    # In the summary at the top, linked to the field, and again at the field.
    summary = page.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a href="#gone-{flag.public_id}">{RANGE}</a>' in summary
    assert f'id="gone-{flag.public_id}_error"' in page and page.count(RANGE) == 2
    # The answers stay as given, to correct the one refused.
    assert f'value="gone" id="ep-gone-{flag.public_id}" checked' in page
    # Nothing stored: neither the check-in nor the headache's possible answer.
    assert SymptomCheckin.objects.count() == 2  # the two reports above
    assert not SymptomReport.objects.filter(resolved_at__isnull=False).exists()
