"""My records read as the patient pages do: a red flag is a warning sign whose strength was not asked
(the form asks it none), a periodic check goes by its own name, a check-in by the answer it got, an open
symptom by what was last known, and every time is in the patient's zone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core.display import name_for
from ketacare.questionnaires.services import submit_questionnaire
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# 10:00 in New York (EST, UTC-05:00), patient a1's zone.
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
RED_FLAGS = (name_for("suicidal_thoughts_with_plan"), name_for("chest_pain"))
NAUSEA = name_for("nausea")
# The codes the check-ins are stored with, which a patient never reads.
LEVEL_CODES = {"expected", "longer than expected", "contact clinic", "urgent", "emergency"}


@pytest.fixture
def walkthrough(personas: Any) -> Any:
    patient = personas.a1
    make_dose(patient, started_at=NOW - dt.timedelta(hours=3))
    with time_machine.travel(NOW, tick=False):
        submit_checkin(
            patient=patient,
            idempotency_key="side-effect",
            reports=[ReportIn("nausea", "moderate")],
            mood=6,
            note="",
            now=NOW - dt.timedelta(hours=2),
        )
        # The form sends a red flag with no severity: the stored one is the default.
        submit_checkin(
            patient=patient,
            idempotency_key="red-flags",
            reports=[ReportIn("suicidal_thoughts_with_plan"), ReportIn("chest_pain")],
            mood=2,
            note="",
            now=NOW - dt.timedelta(hours=1),
        )
        for check, yes in (("luts_check", 4), ("misuse_check", 1)):
            count = 4 if check == "luts_check" else 3
            submit_questionnaire(
                patient=patient,
                instrument_id=check,
                answers={f"{check}.q{i}": int(i <= yes) for i in range(1, count + 1)},
                idempotency_key=check,
                now=NOW - dt.timedelta(minutes=30),
            )
    return patient


def _csv(client: Any) -> list[list[str]]:
    response = client.get(reverse("interop:records_csv"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def _pdf_text(client: Any) -> str:
    from pypdf import PdfReader

    response = client.get(reverse("interop:records_pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_the_csv_says_red_flag_names_the_checks_and_gives_the_answers_in_words(
    walkthrough: Any, client_for: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        header, *rows = _csv(client_for("a1"))
    assert header[1] == "when (New York time, the clinic's time, with its offset from UTC)"
    symptoms = {row[2]: row for row in rows if row[0] == "symptom"}
    for name in RED_FLAGS:
        assert symptoms[name][3] == "warning sign (strength not asked)"
        # Still open: what was last known, on the patient's clock (10:00 UTC is 09:00 in New York).
        assert symptoms[name][1] == "2026-12-07T09:00:00-05:00"
        assert symptoms[name][4] == (
            "reported at this time; when it began: not asked; "
            "ongoing: still there when last asked, 2026-12-07T09:00:00-05:00"
        )
    # A side effect keeps the severity the patient gave; the red-flag check-in did not tick it, so it
    # went somewhere between its report and that check-in.
    nausea = symptoms[NAUSEA]
    assert nausea[3] == "moderate"
    assert nausea[4] == (
        "reported at this time; when it began: not sure; "
        "gone by 2026-12-07T09:00:00-05:00 (last there 2026-12-07T08:00:00-05:00)"
    )
    assert not [row for row in rows if "mild" in row]

    checks = {row[2]: row[3] for row in rows if row[0] == "questionnaire"}
    assert checks == {"Bladder and urine check": "4", "Cravings and other use check": "1"}
    assert not [cell for row in rows for cell in row if "KetaCare" in cell]

    answers = {row[1]: row[2] for row in rows if row[0] == "check-in"}
    assert answers == {
        "2026-12-07T08:00:00-05:00": "This is expected",
        "2026-12-07T09:00:00-05:00": "Get help now",
    }
    assert not LEVEL_CODES & {cell.lower() for row in rows for cell in row}
    # The times stay machine-readable.
    assert all(dt.datetime.fromisoformat(row[1]).utcoffset() == dt.timedelta(hours=-5) for row in rows)


def test_the_pdf_says_red_flag_names_the_checks_and_gives_the_answers_in_words(
    walkthrough: Any, client_for: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        text = _pdf_text(client_for("a1"))
    for name in RED_FLAGS:
        assert (
            f"{name} warning sign (strength not asked) not asked 09:00 on Monday 7 December 2026 "
            "ongoing: still there when last asked, 09:00 on Monday 7 December 2026" in text
        )
    assert (
        f"{NAUSEA} moderate not sure 08:00 on Monday 7 December 2026 gone by 09:00 on Monday 7 December 2026"
        in text
    )
    assert "mild" not in text.lower()

    assert "Bladder and urine check score 4" in text
    assert "Cravings and other use check score 1" in text
    assert "KetaCare score" not in text and "KetaCare KetaCare" not in text

    assert "2026-12-07 09:00 Get help now 2" in text
    assert "2026-12-07 08:00 This is expected 6" in text
    assert not re.search(r"\b(urgent|emergency|contact clinic)\b", text, re.IGNORECASE)
    # On the patient's clock: nothing at the UTC hours of the check-ins.
    assert "2026-12-07 14:00" not in text and "2026-12-07 13:00" not in text


def test_a_symptom_the_patient_says_went_earlier_ends_at_about_that_time(
    walkthrough: Any, client_for: Any
) -> None:
    chest_pain = SymptomReport.objects.get(patient=walkthrough, symptom_id="chest_pain")
    with time_machine.travel(NOW, tick=False):
        client = client_for("a1")
        answered = client.post(
            reverse("checkins:episodes"),
            {"episode": str(chest_pain.public_id), "answer": "gone", "gone_minutes_ago": "30"},
        )
        assert answered.status_code == 200
        rows = _csv(client)
        text = _pdf_text(client)
    (row,) = [row for row in rows if row[0] == "symptom" and row[2] == RED_FLAGS[1]]
    # Told at 10:00 that it went about 30 minutes before: 09:30 on the patient's clock.
    assert row[3:] == [
        "warning sign (strength not asked)",
        "reported at this time; when it began: not asked; gone at about 2026-12-07T09:30:00-05:00, as you said",
    ]
    assert (
        f"{RED_FLAGS[1]} warning sign (strength not asked) not asked 09:00 on Monday 7 December 2026 "
        "gone at about 09:30 on Monday 7 December 2026, as you said" in text
    )
