"""Progress shows a yes/no check (bladder, cravings) as how many questions were answered yes, never as a
score on a scale with a chart and "lower is better"."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.questionnaires.services import submit_questionnaire

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def test_a_bladder_check_reads_as_yes_answers_on_the_patients_and_the_staff_progress(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        submit_questionnaire(
            patient=personas.a1,
            instrument_id="luts_check",
            answers={"luts_check.q1": 1, "luts_check.q2": 0, "luts_check.q3": 1, "luts_check.q4": 0},
            idempotency_key="luts-progress",
            now=NOW,
        )
        mine = html.unescape(client_for("a1").get(reverse("companion:progress")).content.decode())
        staff = html.unescape(
            client_for("clinician_a")
            .get(reverse("companion:staff_progress", kwargs={"patient_id": personas.a1.public_id}))
            .content.decode()
        )
    for page in (mine, staff):
        section = re.search(
            r'<section class="progress-section" aria-labelledby="sec-luts_check">.*?</section>', page, re.S
        )
        assert section is not None
        text = section.group(0)
        assert "2 of 4" in text and "Questions answered yes" in text
        assert "<svg" not in text and "is better" not in text and "score" not in text.lower()
