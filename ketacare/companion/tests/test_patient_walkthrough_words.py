"""What a patient reads on Home and Progress on their phone, read as a worried patient would.

Each test opens the page through HTTP as the patient and reads the words (not the context): a finished
series is not told to keep waiting, "0 minutes ago" reads "just now", what is normal to feel is in the
order it passes, trial evidence about another illness is not shown, and a score axis has no half points.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.intake.services import record_intake
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.treatments.models import TreatmentPlan
from tests.support.checkins import make_dose
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
KEEP_WAITING = "Some people need several sessions"
SERIES_OVER = "Your score has not changed much over your series of sessions."


def _text(body: str) -> str:
    """The page as words, tags and extra spaces removed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _page(client_for: Any, name: str, persona: str = "a1") -> str:
    return client_for(persona).get(reverse(name)).content.decode()


def _no_change_scores(patient: Any, now: dt.datetime) -> None:
    """A PHQ-9 and a GAD-7 that barely moved between two answers a week apart."""
    for key, days, value in (("first", 8, 2), ("latest", 1, 2)):
        phq9 = {f"phq9.q{i}": value for i in range(1, 9)} | {"phq9.q9": 0}
        if key == "latest":
            phq9["phq9.q1"] = 1  # 16 -> 15: no change
        submit_questionnaire(
            patient=patient,
            instrument_id="phq9",
            answers=phq9,
            idempotency_key=f"phq9-{key}",
            now=now - dt.timedelta(days=days),
        )
        submit_questionnaire(
            patient=patient,
            instrument_id="gad7",
            answers={f"gad7.q{i}": value for i in range(1, 8)},
            idempotency_key=f"gad7-{key}",
            now=now - dt.timedelta(days=days),
        )


# --- 1. After the series, Progress does not tell the patient to keep waiting --------------------------


def test_a_finished_series_with_no_change_is_not_told_to_wait_for_more_sessions(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    make_session(personas.a1, route="iv", state="discharged", now=now - dt.timedelta(days=3))
    _no_change_scores(personas.a1, now)
    assert "Your first series of sessions is complete" in _text(_page(client_for, "companion:home"))
    progress = _text(_page(client_for, "companion:progress"))
    assert KEEP_WAITING not in progress
    # Once for the PHQ-9 and once for the GAD-7; no promise, no dosing advice, the care team decides.
    assert progress.count(SERIES_OVER) == 2
    assert "Talk with your care team about how you feel and what could come next." in progress


def test_mid_series_no_change_still_says_some_people_need_several_sessions(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    # The esketamine label course: its later sessions are still booked.
    make_session(personas.a1, route="esketamine_in", state="discharged", now=now - dt.timedelta(days=3))
    _no_change_scores(personas.a1, now)
    progress = _text(_page(client_for, "companion:progress"))
    assert "Your score has not changed much yet. Some people need several sessions" in progress
    assert SERIES_OVER not in progress


def test_sessions_that_reached_the_plans_review_point_count_as_a_finished_series(
    personas: Any, client_for: Any
) -> None:
    now = timezone.now()
    session = make_session(
        personas.a1, route="esketamine_in", state="discharged", now=now - dt.timedelta(days=3)
    )
    # More sessions are booked, but the prescriber's review comes after this one.
    TreatmentPlan.objects.filter(pk=session.plan_id).update(review_after_session=1)
    _no_change_scores(personas.a1, now)
    progress = _text(_page(client_for, "companion:progress"))
    assert KEEP_WAITING not in progress and SERIES_OVER in progress


def test_staff_progress_keeps_its_own_words(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    make_session(personas.a1, route="iv", state="discharged", now=now - dt.timedelta(days=3))
    _no_change_scores(personas.a1, now)
    url = reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)})
    staff = _text(client_for("clinician_a").get(url).content.decode())
    assert "Little change from baseline so far." in staff and SERIES_OVER not in staff


def test_demo_patient_with_a_finished_series_reads_the_truth_on_progress(demo: Any) -> None:
    user = User.objects.get(email="patient3-a@demo.ketacare.org")
    client = login(Client(), user)
    home = _text(client.get(reverse("companion:home")).content.decode())
    assert "Your first series of sessions is complete" in home
    progress = _text(client.get(reverse("companion:progress")).content.decode())
    assert KEEP_WAITING not in progress
    assert SERIES_OVER in progress


# --- 2. "0 minutes ago" reads "just now" ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("left_seconds_ago", "words"),
    [
        (0, "You left the clinic just now"),
        (30, "You left the clinic just now"),
        (90, "You left the clinic just now"),
        (5 * 60, "You left the clinic 5 minutes ago"),
    ],
)
def test_leaving_the_clinic_a_moment_ago_reads_just_now(
    personas: Any, client_for: Any, left_seconds_ago: int, words: str
) -> None:
    # make_dose discharges 40 + 60 minutes after the dose starts.
    started = NOON - dt.timedelta(minutes=100, seconds=left_seconds_ago)
    with time_machine.travel(NOON, tick=False):
        make_dose(personas.a1, route="esketamine_in", started_at=started)
        home = _text(_page(client_for, "companion:home"))
    assert words in home
    assert "0 minutes ago" not in home and "1 minute ago" not in home


# --- 3. What is normal to feel now is in the order it passes --------------------------------------------


def _minutes(amount: str, unit: str) -> float:
    return float(amount) * {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "days": 1440}[unit]


def test_what_is_normal_to_feel_now_is_listed_in_the_order_it_passes(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        make_dose(personas.a1, route="iv", started_at=NOON - dt.timedelta(minutes=77))
        body = _page(client_for, "companion:home")
    expected = re.search(r'<details class="expected-now".*?</details>', body, re.S)
    assert expected is not None
    items = [_text(li) for li in re.findall(r"<li>(.*?)</li>", expected.group(0), re.S)]
    passes_by = [
        _minutes(*re.search(r"passes by about ([\d.]+) (minutes?|hours?|days) after", item).groups())  # type: ignore[union-attr]
        for item in items
    ]
    assert len(passes_by) > 5
    assert passes_by == sorted(passes_by), items


# --- 4. Evidence fits the patient's condition, in plain words -------------------------------------------


def _weeks_after_a_session(personas: Any, patient: Any, indications: list[str]) -> None:
    record_intake(
        patient=patient,
        user=personas.clinician_a,
        sex="female",
        height_cm=None,
        indications=indications,
        recorded_at=NOON - dt.timedelta(days=30),
    )
    make_dose(patient, route="esketamine_in", started_at=NOON - dt.timedelta(days=10))


def test_a_depression_patient_is_not_shown_an_alcohol_trial_on_home(personas: Any, client_for: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        _weeks_after_a_session(personas, personas.a1, ["major_depression", "anxiety"])
        home = _text(_page(client_for, "companion:home"))
    assert "Now: The following weeks" in home
    assert "alcohol use disorder" not in home and "phase-2" not in home
    # Evidence from depression trials fits a depression patient; advice for everyone stays.
    assert "Cognitive behavioural therapy (CBT) after responding to ketamine" in home
    assert "Keep seeing your usual psychiatrist" in home


def test_a_patient_treated_for_another_condition_sees_no_depression_trial(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(NOON, tick=False):
        _weeks_after_a_session(personas, personas.a2, ["ptsd"])
        home = _text(_page(client_for, "companion:home", "a2"))
    assert "Now: The following weeks" in home
    assert "depression scales" not in home and "alcohol use disorder" not in home
    assert "Keep seeing your usual psychiatrist" in home


# --- 5. Score axes have whole-number labels --------------------------------------------------------------


def _axis_labels(body: str) -> list[str]:
    return re.findall(r'<text [^>]*dominant-baseline="middle"[^>]*>([^<]*)</text>', body)


def test_score_axes_are_labelled_with_whole_numbers(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    make_dose(personas.a1, started_at=now - dt.timedelta(days=5))
    _no_change_scores(personas.a1, now)
    for url, persona in (
        (reverse("companion:progress"), "a1"),
        (
            reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)}),
            "clinician_a",
        ),
    ):
        labels = _axis_labels(client_for(persona).get(url).content.decode())
        assert labels and all(label.isdigit() for label in labels), labels
        assert ["0", "9", "18", "27"] == labels[:4]  # the PHQ-9 chart first
        assert ["0", "7", "14", "21"] == labels[4:8]  # then the GAD-7
