"""The preparation checklist says how strong the evidence is in the words Learn uses for the same rule,
and names medicines in plain words with examples instead of the clinicians' class names."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _checklist(client: Any) -> str:
    response = client.get(reverse("checkins:preparation"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _item(page: str, starts: str) -> str:
    found = re.search(rf"<li>\s*{re.escape(starts)}.*?</li>", page, re.S)
    assert found is not None, starts
    return found.group(0)


def _learn_driving_evidence(client: Any) -> str:
    page = html.unescape(client.get(reverse("journal:learn"), {"q": "drive"}).content.decode())
    entry = page.split("<summary>When can I drive again?</summary>", 1)[1].split("</details>", 1)[0]
    found = re.search(r"Strength of the evidence: ([^<]*)\.</p>", entry)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ("iv", "clinic practice, not tested in trials"),
        ("esketamine_in", "official product label or its regulatory programme"),
        (None, "clinic practice, not tested in trials"),  # no treatment yet: every route's rule
    ],
)
def test_the_driving_rule_says_the_same_strength_of_evidence_as_learn(
    personas: Any, client_for: Any, route: str | None, words: str
) -> None:
    if route:
        make_dose(personas.a1, route=route, started_at=timezone.now() - dt.timedelta(days=2))
    client = client_for("a1")
    assert _learn_driving_evidence(client) == words
    ride_home = _item(_checklist(client), "No driving and no machinery")
    assert f"(Strength of the evidence: {words})" in ride_home
    assert "(evidence)" not in ride_home


def test_no_item_is_tagged_with_the_bare_word_evidence(personas: Any, client_for: Any) -> None:
    make_dose(personas.a1, route="esketamine_in", started_at=timezone.now() - dt.timedelta(days=2))
    page = _checklist(client_for("a1"))
    assert "(evidence)" not in page and "(clinic practice)" not in page
    assert "Strength of the evidence: official product label or its regulatory programme" in _item(
        page, "No food for 2 hours"
    )


def test_the_medicines_are_named_in_plain_words_with_examples(personas: Any, client_for: Any) -> None:
    medicines = _item(_checklist(client_for("a1")), "Tell your clinic about every medicine")
    assert "z-drug" not in medicines.lower() and "gabapentinoid" not in medicines.lower()
    assert "sleeping tablets (such as zolpidem or zopiclone)" in medicines
    assert "medicines for nerve pain (such as gabapentin or pregabalin)" in medicines
    assert "opioid painkillers (such as morphine or oxycodone)" in medicines
