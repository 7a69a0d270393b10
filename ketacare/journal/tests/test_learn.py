"""Learn: the core's education entries, searchable in plain words, each with sources and evidence."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_search_finds_the_success_rates_answer_with_its_evidence(personas: Any, client_for: Any) -> None:
    response = client_for("a1").get(reverse("journal:learn"), {"q": "how likely is it to work"})
    assert response.status_code == 200
    assert b"How likely is it to work?" in response.content
    assert b"About half" in response.content
    assert b"meta-analysis" in response.content  # the evidence strength in plain words
    assert b"Sources:" in response.content


def test_an_htmx_search_returns_only_the_results_partial(personas: Any, client_for: Any) -> None:
    response = client_for("a1").get(
        reverse("journal:learn"), {"q": "nasal spray"}, headers={"HX-Request": "true"}
    )
    assert response.content.lstrip().startswith(b'<div id="learn-results">')
    assert b"esketamine" in response.content.lower()


def test_learn_answers_driving_with_the_day_rule_engines_words(client_for: Any) -> None:
    from ketacare.core import dayrules

    page = client_for("a1").get(reverse("journal:learn"), {"q": "drive"}).content.decode()
    assert dayrules.driving_rule_words() in page.replace("&#x27;", "'")
