"""The progress page speaks to its reader: the patient reads "Your score ...", staff read about the
patient in the third person ("Score fallen by at least half from baseline (response).")."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.companion.progress import SUICIDE_ANSWER_WORDS
from ketacare.questionnaires.services import submit_questionnaire
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself)\b", re.I)


def _phq9(patient: Any, key: str, *, value: int, item9: int, when: dt.datetime) -> None:
    answers = {f"phq9.q{i}": value for i in range(1, 10)}
    answers["phq9.q9"] = item9
    submit_questionnaire(
        patient=patient, instrument_id="phq9", answers=answers, idempotency_key=key, now=when
    )


def _history(patient: Any, *, last_item9: int) -> None:
    """PHQ-9 16 then 8 (or 9 with item 9 positive), two check-ins with a mood and a side effect."""
    now = timezone.now()
    dose = now - dt.timedelta(days=5)
    make_dose(patient, started_at=dose)
    _phq9(patient, "first", value=2, item9=0, when=now - dt.timedelta(days=7))
    _phq9(patient, "latest", value=1, item9=last_item9, when=now - dt.timedelta(days=1))
    submit_checkin(
        patient=patient,
        idempotency_key="a",
        reports=[ReportIn("nausea")],
        mood=4,
        note="",
        now=dose + dt.timedelta(hours=1),
    )
    submit_checkin(
        patient=patient, idempotency_key="b", reports=[], mood=7, note="", now=dose + dt.timedelta(hours=6)
    )


def _pages(personas: Any, client_for: Any) -> tuple[str, str]:
    own = client_for("a1").get(reverse("companion:progress"))
    staff = client_for("clinician_a").get(
        reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    assert own.status_code == staff.status_code == 200
    return html.unescape(own.content.decode()), html.unescape(staff.content.decode())


def _main(page: str) -> str:
    """The page's own content (the menu and footer are the site's)."""
    found = re.search(r"<main\b.*?</main>", page, re.S)
    assert found is not None
    return found.group(0)


def test_staff_read_the_change_and_the_tables_about_the_patient_the_patient_reads_them_about_themself(
    personas: Any, client_for: Any
) -> None:
    _history(personas.a1, last_item9=0)
    patient, staff = _pages(personas, client_for)
    # The patient's own page keeps its words.
    assert "Your score has fallen by at least half since you started. This is called a response." in patient
    assert "Mood from your check-ins" in patient
    assert "When each symptom was last reported and when it was gone, as far as your check-ins" in patient
    assert "last reported 60 minutes after the session; gone when you checked in at 6 hours" in patient
    # The staff page states the same facts in the third person.
    assert "Score fallen by at least half from baseline (response)." in staff
    assert "Mood from the patient's check-ins" in staff
    assert "When each side effect was last reported and seen gone, from the patient's check-ins" in staff
    assert "Feeling sick (nausea)" in staff
    assert "last reported 60 minutes after the session; not ticked at the next check-in at 6 hours" in staff
    assert "Your score" not in staff and "your check-ins" not in staff
    assert SECOND_PERSON.findall(_main(staff)) == []


def test_a_suicide_risk_answer_reads_as_a_clinical_finding_for_staff(personas: Any, client_for: Any) -> None:
    _history(personas.a1, last_item9=1)
    # "The clinic was alerted" is true: the answer raised the urgent alert.
    assert Alert.objects.filter(patient=personas.a1, source="phq9_item9").count() == 1
    patient, staff = _pages(personas, client_for)
    assert SUICIDE_ANSWER_WORDS in patient
    assert (
        "Latest answers include thoughts of death or self-harm (PHQ-9 question 9): the clinic was "
        "alerted; review the alert." in staff
    )
    # A low total never reads as good news to either reader.
    assert "(response)" not in staff and "This is called a response." not in patient
    assert SUICIDE_ANSWER_WORDS not in staff
    assert SECOND_PERSON.findall(_main(staff)) == []
