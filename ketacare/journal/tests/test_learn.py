"""Learn: the core's education entries, searchable in plain words, each with sources and evidence."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.core import dayrules
from ketacare.core import knowledge as kb
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def test_a_search_finds_the_success_rates_answer_with_its_evidence(personas: Any, client_for: Any) -> None:
    response = client_for("a1").get(reverse("journal:learn"), {"q": "how likely is it to work"})
    assert response.status_code == 200
    assert b"How likely is it to work?" in response.content
    assert b"About half" in response.content
    assert b"meta-analysis" in response.content  # the evidence strength in plain words
    assert b"Where this comes from" in response.content


def test_an_htmx_search_returns_only_the_results_partial(personas: Any, client_for: Any) -> None:
    response = client_for("a1").get(
        reverse("journal:learn"), {"q": "nasal spray"}, headers={"HX-Request": "true"}
    )
    assert response.content.lstrip().startswith(b'<div id="learn-results">')
    assert b"esketamine" in response.content.lower()


def test_learn_answers_driving_with_the_day_rule_engines_words(client_for: Any) -> None:
    page = client_for("a1").get(reverse("journal:learn"), {"q": "drive"}).content.decode()
    assert dayrules.driving_rule_words() in page.replace("&#x27;", "'")


def _driving_entry(client: Any, **headers: str) -> str:
    """The "When can I drive again?" entry of Learn: its answer, evidence and sources."""
    response = client.get(reverse("journal:learn"), {"q": "drive"}, headers=headers)
    assert response.status_code == 200
    found = re.search(
        r"<summary>When can I drive again\?</summary>(.*?)</details>",
        html.unescape(response.content.decode()),
        re.S,
    )
    assert found is not None
    return found.group(1)


def _citation(source_id: str) -> str:
    return kb.get_source(source_id).for_patients


@pytest.mark.parametrize("htmx", [False, True])
def test_an_iv_patient_reads_their_own_rule_24_hours_after_leaving_with_its_sources(
    personas: Any, client_for: Any, htmx: bool
) -> None:
    make_dose(personas.a1, route="iv", started_at=timezone.now() - dt.timedelta(days=2))
    entry = _driving_entry(client_for("a1"), **({"HX-Request": "true"} if htmx else {}))
    assert dayrules.driving_rule_words("iv") in entry
    assert "until 24 hours after you leave the clinic or 09:00 the next morning, whichever is later" in entry
    # Their rule only: no other route's rule, no rule under a route's name.
    assert "After esketamine nasal spray" not in entry and "After IV ketamine" not in entry
    # The 24 hours are clinic practice, and say so.
    assert "Strength of the evidence: clinic practice, not tested in trials." in entry
    assert _citation("clinic-practice") in entry


def test_an_esketamine_patient_reads_the_next_morning_rule_and_not_24_hours(
    personas: Any, client_for: Any
) -> None:
    make_dose(personas.a1, route="esketamine_in", started_at=timezone.now() - dt.timedelta(days=2))
    entry = _driving_entry(client_for("a1"))
    assert dayrules.driving_rule_words("esketamine_in") in entry
    assert "until 09:00 the next morning" in entry
    assert "24 hours" not in entry and "After IV ketamine" not in entry
    # The label rule, cited to the label: not dressed as clinic practice.
    assert "Strength of the evidence: official product label or its regulatory programme." in entry
    assert _citation("HCP-Dose") in entry and _citation("clinic-practice") not in entry


def test_without_a_route_each_rule_is_cited_the_24_hours_as_clinic_practice(
    personas: Any, client_for: Any
) -> None:
    # A1 has no dose and no plan: Learn states each route's rule under its name.
    entry = _driving_entry(client_for("a1"))
    assert dayrules.driving_rule_words() in entry
    assert "After esketamine nasal spray: until 09:00 the next morning." in entry
    assert "24 hours after you leave the clinic or 09:00 the next morning, whichever is later" in entry
    # The next morning cites the label; the 24 hours, clinic practice: the weakest claim sets the evidence.
    assert _citation("HCP-Dose") in entry and _citation("clinic-practice") in entry
    assert "Strength of the evidence: clinic practice, not tested in trials." in entry


def test_patients_read_clinic_practice_in_plain_words_and_a_word_on_sources_written_for_doctors(
    client_for: Any,
) -> None:
    page = html.unescape(client_for("a1").get(reverse("journal:learn")).content.decode())
    assert "unverified, to be reviewed by the clinic" not in page
    assert "Usual clinic practice, not a published study" in page
    assert "your dose is decided by your prescriber" in page
