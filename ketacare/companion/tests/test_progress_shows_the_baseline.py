"""Progress says what the change is measured from: the baseline score with its date and source, the
latest score, and the change in points and in percent as the change rule counts it (of the baseline's
distance from the best score, rounded down so that it never reaches a threshold the score did not). The
table marks the baseline row, and a symptom's row says when it began as the patient gave it, apart from
when it was first reported."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.intake.tests.conftest import intake_url
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# Clinic A and patient a1 are in New York: 15:00 UTC is 10:00 there, the same day.
INTAKE = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
LATEST = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
READ_AT = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def _phq9(total: int) -> dict[str, int]:
    """Answers adding up to ``total`` with question 9 at 0 (totals up to 24)."""
    answers, left = {}, total
    for n in range(1, 9):
        answers[f"phq9.q{n}"] = min(3, left)
        left -= answers[f"phq9.q{n}"]
    return answers | {"phq9.q9": 0}


def _at_intake(personas: Any, client_for: Any, total: int) -> None:
    posted = {"instrument": "phq9", **{f"phq9-{k}": str(v) for k, v in _phq9(total).items()}}
    with time_machine.travel(INTAKE, tick=False):
        response = client_for("clinician_a").post(
            intake_url("baseline", personas.a1), posted, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and f"total {total}" in response.content.decode()


def _at_home(client_for: Any, total: int, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        response = client_for("a1").post(
            reverse("questionnaires:fill", args=["phq9"]),
            {"idempotency_key": f"home-{at:%Y%m%d}", **{k: str(v) for k, v in _phq9(total).items()}},
        )
    assert response.status_code == 303


def _words(response: Any) -> str:
    """The page as read: each tag a space (a table's cells stay apart), entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _pages(personas: Any, client_for: Any) -> tuple[str, str]:
    url = reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)})
    with time_machine.travel(READ_AT, tick=False):
        staff = client_for("clinician_a").get(url)
        own = client_for("a1").get(reverse("companion:progress"))
    assert staff.status_code == own.status_code == 200
    return _words(staff), _words(own)


def _rows(text: str, title: str) -> str:
    """The score table's rows as read: from its caption to the end of the section."""
    start = text.index(f"{title} scores")
    return text[start : text.index("Mood", start)]


def test_staff_read_the_intake_baseline_the_latest_score_and_the_change(
    personas: Any, client_for: Any
) -> None:
    _at_intake(personas, client_for, 20)
    _at_home(client_for, 14, LATEST)
    staff, own = _pages(personas, client_for)
    assert "Score improved from baseline, by less than half (partial response)." in staff
    # PHQ-9 partial response is a 25% drop of the baseline (instrument data): 20 -> 14 is 30%.
    assert (
        "Baseline 20 (entered by the clinic at intake on 2 November) → latest 14 (30 November): "
        "6 points lower, 30% less." in staff
    )
    rows = _rows(staff, "(PHQ-9)")
    assert re.search(r"2 Nov 2026 \d\d:\d\d Baseline, at intake 20 ", rows), rows
    assert "Baseline" not in rows[rows.index("30 Nov 2026") :]
    # The patient reads the same numbers in plain words, with no clinic jargon.
    assert "Your score has improved since you started, though by less than half." in own
    assert (
        "Your first score was 20, taken by your clinic at intake on 2 November. Your latest, on "
        "30 November, is 14: 6 points lower, 30% less than at the start." in own
    )
    assert "partial response" not in own and "Baseline" not in own
    assert re.search(r"2 Nov 2026 \d\d:\d\d Starting score, at intake 20 ", _rows(own, "(PHQ-9)"))


def test_a_first_answer_at_home_is_the_baseline_and_the_percent_never_rounds_up_to_a_threshold(
    personas: Any, client_for: Any
) -> None:
    # 21 -> 11 is a 47.6% drop: under the 50% of a response, so never shown as "48%" beside "less
    # than half", nor as 50%.
    _at_home(client_for, 21, INTAKE)
    _at_home(client_for, 11, LATEST)
    staff, own = _pages(personas, client_for)
    assert "(partial response)" in staff
    assert (
        "Baseline 21 (the patient's first answer, 2 November) → latest 11 (30 November): "
        "10 points lower, 47% less." in staff
    )
    assert re.search(r"2 Nov 2026 \d\d:\d\d Baseline 21 ", _rows(staff, "(PHQ-9)"))
    assert "Your first score was 21, on 2 November. Your latest, on 30 November, is 11: " in own


def test_a_higher_score_is_said_in_points(personas: Any, client_for: Any) -> None:
    _at_intake(personas, client_for, 12)
    _at_home(client_for, 18, LATEST)
    staff, own = _pages(personas, client_for)
    assert "Score higher than at baseline (worsening)." in staff
    assert (
        "Baseline 12 (entered by the clinic at intake on 2 November) → latest 18 (30 November): "
        "6 points higher." in staff
    )
    assert "Your latest, on 30 November, is 18: 6 points higher." in own


def test_a_symptom_row_says_when_it_began_apart_from_when_it_was_reported(
    personas: Any, client_for: Any
) -> None:
    dose = LATEST - dt.timedelta(hours=3)
    make_dose(personas.a1, started_at=dose)
    with time_machine.travel(dose + dt.timedelta(hours=2), tick=False):
        response = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": "one",
                "action": "submit",
                "symptom": "nausea",
                "severity_nausea": "mild",
                "onset_nausea": "30",
            },
        )
    assert response.status_code == 303
    staff, own = _pages(personas, client_for)
    for text in (staff, own):
        table = text[text.index("Side effects: when they passed") :]
        assert "Symptom First reported Began " in table
        assert re.search(
            r"Feeling sick \(nausea\) 30 Nov \d\d:\d\d about 30 minutes after the session ", table
        )
