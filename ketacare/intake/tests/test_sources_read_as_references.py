"""Sources on the intake page read as a clinician reads references: each source's title (a link where
it has one) in a "Sources" line, never KetaCare's key for it; a KetaCare default that no published
study backs is said in one plain phrase wherever intake shows it."""

from __future__ import annotations

import re

import pytest

from ketacare.core import knowledge as core_knowledge
from ketacare.intake.services import record_medications
from ketacare.intake.tests.conftest import intake_url
from tests.support.clinic_hours import page_text
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db

PRACTICE_WORDS = "Usual clinic practice, not from a published study"


def _cards(page: str) -> dict[str, str]:
    """The text of each interaction or screening card, by its title."""
    cards = re.findall(r'<div class="flag level-[^"]*">(.*?)</div>', page, re.S)
    return {
        page_text(re.search(r"<strong>(.*?)</strong>", card, re.S).group(1)): page_text(card)
        for card in cards
    }


def _no_source_keys(text: str) -> None:
    keys = [f"[{source_id}]" for source_id in core_knowledge.source_ids() if f"[{source_id}]" in text]
    assert not keys, f"source keys shown to staff: {keys}"


def test_interaction_cards_cite_their_sources_by_title_with_links(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("medication_flags", personas.a1),
        {"medications": "lorazepam 1 mg at night\nquetiapine 25 mg"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    cards = _cards(page)
    benzodiazepines = cards["Benzodiazepines"]
    assert (
        "Sources: MedicineNet, Side effects of Spravato (interactions, pregnancy, lactation);"
        in benzodiazepines
    )
    assert "Citation statement on benzodiazepines in the ASPIRE esketamine studies" in benzodiazepines
    medicinenet = core_knowledge.get_source("MedicineNet")
    assert (
        f'<a href="{medicinenet.url}" rel="noopener noreferrer" target="_blank">{medicinenet.citation}</a>'
        in page
    )
    # A rule that rests on clinic practice says so in the plain phrase, among its other sources.
    assert f"Sources: {PRACTICE_WORDS};" in cards["Sedating antipsychotics"]
    text = page_text(page)
    _no_source_keys(text)
    assert "unverified" not in text and "KetaCare default clinic practice" not in text


def test_the_intake_page_says_clinic_practice_in_the_same_words(personas, client_for):
    record_medications(patient=personas.a1, user=personas.clinician_a, medications=["quetiapine 25 mg"])
    screened(patient=personas.a1, user=personas.clinician_a, conditions_present=["pregnancy"])
    text = page_text(client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode())
    assert (
        f"Japanese ancestry: Esketamine may start at 28 mg, as for age 65 and over. {PRACTICE_WORDS}." in text
    )
    # The saved list's card and the screening's reasons, each with its sources by title.
    assert text.count(f"Sources: {PRACTICE_WORDS};") == 2
    assert "Sources: MedicineNet, Side effects of Spravato" in text
    _no_source_keys(text)
    assert "unverified" not in text and "(clinic practice" not in text
