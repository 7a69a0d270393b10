"""The check-in's symptom search in everyday words: a red flag it finds is pointed to in "Something
serious?" (never "No symptom matches"), with and without JavaScript."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.checkins.models import SymptomCheckin

pytestmark = pytest.mark.django_db


def _search(client: Any, query: str, *, htmx: bool = False) -> str:
    response = client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": "k", "action": "search", "q": query},
        headers={"HX-Request": "true"} if htmx else {},
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _picker(page: str) -> str:
    found = re.search(r'<fieldset id="symptom-picker".*?</fieldset>', page, re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("query", ["tight chest", "my chest hurts"])
def test_chest_words_point_to_chest_pain(personas: Any, client_for: Any, query: str, htmx: bool) -> None:
    picker = _picker(_search(client_for("a1"), query, htmx=htmx))
    assert "No symptom matches" not in picker
    assert '<a href="#sym-chest_pain">Chest pain</a>' in picker
    assert "This may be serious" in picker
    assert not SymptomCheckin.objects.exists()


@pytest.mark.parametrize("query", ["cant pee", "can't pee", "can\u2019t pee", "unable to urinate"])
def test_words_for_not_passing_urine_point_to_the_urinary_red_flag_and_open_its_list(
    personas: Any, client_for: Any, query: str
) -> None:
    page = _search(client_for("a1"), query)
    assert '<a href="#sym-urinary_symptoms">' in _picker(page)
    # The row sits in the list of other serious changes, which opens so the link lands on it.
    details = re.search(r'<details class="serious-more" id="serious-more"[^>]*>', page)
    assert details is not None and " open" in details.group(0)
    assert 'id="sym-urinary_symptoms"' in page


def test_the_htmx_search_opens_the_list_of_other_serious_changes_out_of_band(
    personas: Any, client_for: Any
) -> None:
    page = _search(client_for("a1"), "can't pee", htmx=True)
    assert page.lstrip().startswith('<fieldset id="symptom-picker"')
    details = re.search(r'<details class="serious-more" id="serious-more"[^>]*>', page)
    assert details is not None and 'hx-swap-oob="true"' in details.group(0) and " open" in details.group(0)
    # One checkbox per symptom: the picker links to the row, it does not repeat it.
    assert page.count('id="sym-urinary_symptoms"') == 1


def test_a_search_that_finds_no_red_flag_leaves_their_list_alone(personas: Any, client_for: Any) -> None:
    page = _search(client_for("a1"), "dizzy", htmx=True)
    assert "serious-more" not in page and "found-serious" not in page


def test_a_search_that_finds_nothing_says_so(personas: Any, client_for: Any) -> None:
    picker = _picker(_search(client_for("a1"), "purple elephant"))
    assert "No symptom matches “purple elephant”" in picker


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("query", "flag_id", "name"),
    [
        ("burning when I pee", "urinary_symptoms", "Pain or blood when passing urine"),
        ("I feel like I want to die", "suicidal_thoughts_without_plan", "Thoughts of suicide or self-harm"),
        ("my chest hurts", "chest_pain", "Chest pain"),
        ("can't stop shaking", "seizure", "Seizure (fit)"),
    ],
)
def test_a_sentence_points_first_to_the_red_flag_it_describes(
    personas: Any, client_for: Any, query: str, flag_id: str, name: str, htmx: bool
) -> None:
    picker = _picker(_search(client_for("a1"), query, htmx=htmx))
    assert "No symptom matches" not in picker
    found = re.search(r'<div class="found-serious".*?</div>', picker, re.S)
    assert found is not None
    first = re.search(r'<li><a href="#sym-([a-z_]+)">([^<]*)</a>', found.group(0))
    assert first is not None and first.group(1) == flag_id and first.group(2).startswith(name)
