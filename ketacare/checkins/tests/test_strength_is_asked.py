"""How strong a symptom is, is the patient's answer: the form presets none, a ticked side effect left at
"How strong?" is asked again (naming the row, nothing stored), a red flag left there is sent as "not
given" (test_red_flag_without_strength), and an emergency red flag, which no strength changes, is not
asked at all."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.models import SymptomCheckin, SymptomReport
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _post(client: Any, **fields: Any) -> Any:
    return client.post(reverse("checkins:checkin"), {"idempotency_key": "k", "action": "submit", **fields})


def test_no_strength_is_preset(personas: Any, client_for: Any) -> None:
    page = client_for("a1").get(reverse("checkins:checkin")).content.decode()
    for symptom_id in ("nausea", "suicidal_thoughts_without_plan", "urinary_symptoms"):
        select = re.search(rf'<select name="severity_{symptom_id}"[^>]*>(.*?)</select>', page, re.S)
        assert select is not None, symptom_id
        assert '<option value="" selected>How strong? Choose</option>' in select.group(1)
        assert select.group(1).count("selected") == 1, symptom_id
    # An emergency is an emergency however strong: no strength to choose.
    assert (
        'name="severity_chest_pain"' not in page and 'name="severity_suicidal_thoughts_with_plan"' not in page
    )


@pytest.mark.parametrize(
    ("symptom_id", "name"),
    [
        ("nausea", "Feeling sick (nausea)"),
        ("headache", "Headache"),
    ],
)
def test_a_ticked_side_effect_without_a_strength_is_asked_again_and_nothing_is_stored(
    personas: Any, client_for: Any, symptom_id: str, name: str
) -> None:
    # A dose two hours ago: "about 30 min after the treatment" is one of the times offered.
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    response = _post(client_for("a1"), symptom=symptom_id, onset_nausea="30", mood="4")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary is not None
    link = re.search(
        rf'<a href="#sev-{symptom_id}">(How strong \({re.escape(name)}[^<]*)</a>', summary.group(0)
    )
    assert link is not None and link.group(1).endswith("choose mild, moderate or severe")
    # At the row too, which stays ticked, with what else was chosen kept.
    assert f'id="sev-{symptom_id}_error"' in page and f'aria-describedby="sev-{symptom_id}_error"' in page
    assert re.search(rf'<input type="checkbox" name="symptom" value="{symptom_id}"[^>]* checked', page)
    if symptom_id == "nausea":
        assert '<option value="30" selected>' in page
    assert not SymptomCheckin.objects.exists() and not SymptomReport.objects.exists()


def test_the_strength_chosen_is_the_one_recorded(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), symptom="nausea", severity_nausea="moderate")
    assert response.status_code == 303
    assert SymptomReport.objects.get().severity == "moderate"


def test_a_red_flag_that_asks_a_strength_is_sent_without_one(personas: Any, client_for: Any) -> None:
    # A red flag is never refused for its strength: the clinic is told it was not given.
    response = _post(client_for("a1"), symptom="suicidal_thoughts_without_plan", mood="2")
    assert response.status_code == 303
    assert SymptomReport.objects.get().severity == ""
    assert SymptomCheckin.objects.get().triage_level == "urgent"


def test_an_emergency_red_flag_is_sent_without_a_strength(personas: Any, client_for: Any) -> None:
    response = _post(client_for("a1"), symptom="chest_pain")
    assert response.status_code == 303
    assert SymptomCheckin.objects.get().triage_level == "emergency"
