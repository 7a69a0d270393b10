"""Open symptoms are listed the most urgent first (an emergency red flag before a "contact the clinic"
one, red flags before side effects), then the newest first: on the check-in's "Since last time", the
"Your symptoms" page and the home page's box of open red flags."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

# Reported in this order, oldest first: the bladder (urgent), nausea, a headache, chest pain (emergency),
# thoughts of suicide without a plan (urgent).
REPORTED = ["urinary_symptoms", "nausea", "headache", "chest_pain", "suicidal_thoughts_without_plan"]
URGENT_FIRST = ["chest_pain", "suicidal_thoughts_without_plan", "urinary_symptoms", "headache", "nausea"]


def _report_in_turn(patient: Any) -> None:
    now = timezone.now()
    make_dose(patient, started_at=now - dt.timedelta(hours=3))
    for minutes_ago, symptom_id in zip((100, 80, 60, 40, 20), REPORTED, strict=True):
        # Each check-in ticks everything reported so far, so no side effect closes by omission.
        upto = REPORTED[: REPORTED.index(symptom_id) + 1]
        submit_checkin(
            patient=patient,
            idempotency_key=uuid.uuid4().hex,
            reports=[ReportIn(s) for s in upto],
            mood=None,
            note="",
            now=now - dt.timedelta(minutes=minutes_ago),
        )


def test_the_symptoms_page_lists_the_most_urgent_then_the_newest(personas: Any, client_for: Any) -> None:
    _report_in_turn(personas.a1)
    page = client_for("a1").get(reverse("checkins:episodes")).content.decode()
    ids = re.findall(r'href="/me/symptoms/\?episode=([0-9a-f-]+)"', page)
    from ketacare.checkins.models import SymptomReport

    names = [SymptomReport.objects.get(public_id=i).symptom_id for i in ids]
    assert names == URGENT_FIRST


def test_the_check_in_asks_about_the_most_urgent_first(personas: Any, client_for: Any) -> None:
    _report_in_turn(personas.a1)
    page = client_for("a1").get(reverse("checkins:checkin")).content.decode()
    rows = page[page.index("Since last time") : page.index('id="symptom-picker"')]
    from ketacare.core import knowledge as kb

    known = kb.knowledge()
    names = [(known.red_flags.get(s) or known.side_effects[s]).name for s in URGENT_FIRST]
    positions = [rows.index(f'<p class="episode-name">{name}') for name in names]
    assert positions == sorted(positions)


def test_two_open_red_flags_at_one_level_put_the_newest_first(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    for minutes_ago, symptom_id in ((90, "urinary_symptoms"), (30, "mania_signs")):
        submit_checkin(
            patient=personas.a1,
            idempotency_key=symptom_id,
            reports=[ReportIn(symptom_id)],
            mood=None,
            note="",
            now=now - dt.timedelta(minutes=minutes_ago),
        )
    home = client_for("a1").get(reverse("companion:home")).content.decode()
    block = home[home.index("still-open") :]
    assert block.index('data-symptom="mania_signs"') < block.index('data-symptom="urinary_symptoms"')
