"""On a tablet (one column) the run-sheet leads with what the nurse needs next.

At 820 px the observation clock, checkpoints and discharge checklist came about 3,300 px down, after every
form and the long recovery-timeline model. The safety boxes now stand above both columns; once dosing
has ended the live panel (clock, checkpoints, checklist) comes first on one column; the model is folded.
The checkboxes of a form read with their label beside them, without a colon.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[1] / "static" / "treatments" / "treatments.css"


def _sheet(client: Any, session: Any) -> str:
    response = client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))
    assert response.status_code == 200
    return str(response.content.decode())


def test_after_dosing_the_live_panel_leads_the_single_column(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=20)
    body = _sheet(client_for("clinician_a"), session)
    assert 'class="sheet-grid live-first"' in body
    assert "treatments/treatments.css" in body
    css = CSS.read_text()
    rule = re.search(
        r"@media \(max-width: 59\.99rem\) \{\s*\.sheet-grid\.live-first \.sheet-side \{ order: -1; \}", css
    )
    assert rule is not None
    # Inside the live panel: the clock, then the checkpoints, then the checklist, before the chart.
    live = body[body.index('<div id="live"') :]
    assert (
        live.index("Observation clock")
        < live.index("Vital-sign checkpoints")
        < live.index("Discharge checklist")
        < live.index('<svg class="timeline"')
    )


def test_before_dosing_ends_the_forms_lead(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="checked_in")
    body = _sheet(client_for("clinician_a"), session)
    assert 'class="sheet-grid"' in body and "live-first" not in body


def test_the_safety_boxes_stand_above_both_columns(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=20)
    body = _sheet(client_for("clinician_a"), session)
    assert body.index('data-testid="gate-override"') < body.index('class="sheet-grid')


def test_the_recovery_model_is_folded(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=20)
    body = _sheet(client_for("clinician_a"), session)
    estimate = body[body.index('data-testid="recovery-estimate"') :]
    assert re.match(
        r'data-testid="recovery-estimate">\s*(\{#.*?#\}\s*)?<details class="recovery-model">', estimate
    )
    assert '<summary><h2 id="pk-h">Recovery timeline' in estimate


def test_a_checkbox_reads_with_its_label_without_a_colon(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="scheduled")
    body = _sheet(client_for("clinician_a"), session)
    assert '<label for="checkin_form_ride_home_confirmed">Ride home arranged</label>' in body
    assert "Ride home arranged:" not in body
