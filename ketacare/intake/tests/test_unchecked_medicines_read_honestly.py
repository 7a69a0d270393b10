"""A medicine outside KetaCare's interaction list reads as not checked, not as a failed check.

The list is the core's interaction classes (core/knowledge/data/screening.toml), each with its cited
sources; the page says how many there are, where they come from, names them on demand, and asks the
prescriber to check anything outside them in their own reference.
"""

from __future__ import annotations

import html
import re

import pytest

from ketacare.core import knowledge as core_knowledge
from ketacare.intake.services import record_medications
from ketacare.intake.tests.conftest import intake_url
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db


def _line(count: int, names: str, pronoun: str) -> str:
    return (
        f"Not in KetaCare's interaction list ({count} medicine classes, from the esketamine (SPRAVATO) "
        f"label and the references cited on each flag): {names} — check {pronoun} yourself."
    )


def _screening_section(text: str) -> str:
    return text[text.index('<section id="intake-screening"') : text.index('<section id="intake-consent"')]


def _read(markup: str) -> str:
    """The markup as read: tags dropped, entities resolved, white space folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def test_the_screening_says_sertraline_is_outside_the_list_and_needs_the_prescribers_check(
    personas, client_for
):
    record_medications(
        patient=personas.a1,
        user=personas.clinician_a,
        medications=["sertraline 100 mg daily", "lorazepam 1 mg"],
    )
    screened(patient=personas.a1, user=personas.clinician_a)
    text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    section = _read(_screening_section(text))
    classes = core_knowledge.interactions()
    assert _line(len(classes), "sertraline 100 mg daily", "it") in section
    assert (
        "The interaction check knows only the medicines on that list, so it did not check this one at all: "
        "the prescriber checks it for interactions in their own reference." in section
    )
    # The list itself, by the core's class names, with every class holding its cited sources.
    assert f"The {len(classes)} classes KetaCare checks" in section
    assert all(interaction.name in section for interaction in classes)
    assert all(interaction.sources for interaction in classes)
    assert "Medicines not recognised" not in section


def test_the_live_flags_say_the_same_for_several_medicines(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("medication_flags", personas.a1),
        {"medications": "sertraline 100 mg daily\nzyxotrin 5 mg\nlorazepam 1 mg"},
        HTTP_HX_REQUEST="true",
    )
    text = _read(response.content.decode())
    count = len(core_knowledge.interactions())
    assert _line(count, "sertraline 100 mg daily; zyxotrin 5 mg", "these") in text
    assert "so it did not check these at all: the prescriber checks them for interactions" in text
    assert "read them yourself" not in text


def test_a_list_the_check_knows_entirely_says_nothing_of_it(personas, client_for):
    record_medications(patient=personas.a1, user=personas.clinician_a, medications=["lorazepam 1 mg"])
    screened(patient=personas.a1, user=personas.clinician_a)
    text = html.unescape(client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode())
    assert "Not in KetaCare's interaction list" not in text
