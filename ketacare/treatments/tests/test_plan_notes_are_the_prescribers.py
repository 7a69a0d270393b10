"""The plan page's Notes are the prescriber's own; what the knowledge base says about the schedule is
shown apart, under "About this schedule", in plain words, with its sources named by title and link.

A prescriber who left Notes empty read, as the plan's notes, "The clinic chooses the weekdays and the
number of infusions, at most 12 (the KetECT maximum, 3 per week until remission or maximal effect,
median 6)." — the custom preset's own note, with a trial's name and no reference.

Clinic A (the personas) is in America/New_York; the clock stands on Monday 7 December 2026, 10:15 there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.core.protocols import get_protocol
from ketacare.treatments.models import TreatmentPlan

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)  # Mon 7 Dec 2026 10:15 in New York
GATE_REASON = "Screening, decision and consent are on paper for this test."
CUSTOM_NOTE = get_protocol("iv_ketamine").preset("custom").cited.note
KETECT_TITLE = (
    "Ekstrand J, Fattah C, Persson M, et al. Racemic Ketamine as an Alternative to Electroconvulsive"
)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _page(personas: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})


def _plan(client: Any, personas: Any, **extra: Any) -> str:
    """Create a plan through the form and return the plan page it leads to."""
    form = {
        "protocol_id": "iv_ketamine",
        "preset_id": "custom",
        "session_count": "6",
        "weekdays": ["0", "2", "4"],
        "first_session_at": "2026-12-09T10:00",
        "weight_kg": "82",
        "maintenance_policy": "decide_at_review",
        "hepatic_impairment": "none",
        "gate_override_reason": GATE_REASON,
        "notes": "",
        **extra,
    }
    response = client.post(_page(personas), form, follow=True)
    assert response.redirect_chain, html.unescape(strip_tags(response.content.decode()))[-1500:]
    return response.content.decode()


def _text(body: str) -> str:
    return " ".join(html.unescape(strip_tags(body)).split())


def _dd(body: str, testid: str) -> str | None:
    found = re.search(rf'<dd data-testid="{testid}">(.*?)</dd>', body, re.S)
    return found.group(1) if found else None


def test_empty_notes_show_no_notes_and_the_schedule_guidance_apart(personas: Any, client_for: Any) -> None:
    body = _plan(client_for("clinician_a"), personas)
    assert TreatmentPlan.objects.get(patient=personas.a1).notes == ""
    assert _dd(body, "plan-notes") is None
    assert "<dt>Notes</dt>" not in body
    about = _dd(body, "schedule-guidance")
    assert about is not None and "<dt>About this schedule</dt>" in body
    words = _text(about)
    # Plain words first, from the schedule's own numbers.
    assert words.startswith(
        "The prescriber chose the weekdays and the number of sessions for this plan, at most 12 in one plan. "
        "The sources give at most 3 sessions in any 7 days; more needs a prescriber's reason."
    )
    # The source's own note is kept, with the trial it comes from named as a reference, not by its key.
    assert CUSTOM_NOTE in words
    assert KETECT_TITLE in words
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC9154276"' in about
    assert "Ekstrand2022" not in body and "Murrough2013b" not in body


def test_the_prescribers_notes_are_shown_as_written_and_nothing_else(personas: Any, client_for: Any) -> None:
    body = _plan(client_for("clinician_a"), personas, notes="Prefers morning sessions; partner drives.")
    assert TreatmentPlan.objects.get(patient=personas.a1).notes == "Prefers morning sessions; partner drives."
    notes = _dd(body, "plan-notes")
    assert notes is not None and _text(notes) == "Prefers morning sessions; partner drives."


def test_a_plan_that_stored_the_guidance_in_its_notes_shows_only_the_prescribers_part(
    personas: Any, client_for: Any
) -> None:
    client = client_for("clinician_a")
    _plan(client, personas)
    TreatmentPlan.objects.filter(patient=personas.a1).update(notes=f"{CUSTOM_NOTE}\nPrefers mornings.")
    body = client.get(_page(personas)).content.decode()
    notes = _dd(body, "plan-notes")
    assert notes is not None and _text(notes) == "Prefers mornings."
    TreatmentPlan.objects.filter(patient=personas.a1).update(notes=CUSTOM_NOTE)
    assert _dd(client.get(_page(personas)).content.decode(), "plan-notes") is None


def test_source_keys_inside_a_note_become_numbered_references(personas: Any, client_for: Any) -> None:
    # The IM protocol is experimental and its custom preset's note cites two sources by key.
    body = _plan(client_for("clinician_a"), personas, protocol_id="im_ketamine", weight_kg="82")
    about = _dd(body, "schedule-guidance")
    assert about is not None
    words = _text(about)
    assert words.startswith("Experimental: only small studies or case reports support this protocol.")
    for key in ("[Loo2016]", "[Harihar2013]", "[Chilukuri2014]", "Loo2016", "clinic-practice"):
        assert key not in words, key
    assert "the pilot gave them at least a week apart [2], case reports weekly or twice weekly [5]" in words
    references = re.findall(r'<li value="(\d+)">(.*?)</li>', about, re.S)
    titles = {int(number): _text(title) for number, title in references}
    assert titles[2].startswith("Loo CK, Gálvez V")
    assert titles[5].startswith("Harihar C, et al. Intramuscular ketamine in acute depression")
    assert titles[4] == "Usual clinic practice, not from a published study"
