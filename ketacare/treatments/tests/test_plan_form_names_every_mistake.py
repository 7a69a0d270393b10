"""The plan form names every mistake at once, each on its own field, in the words on the screen.

A prescriber used to fix one error per submit ("Required for a weight-based protocol", then "A plan
needs: …" above the form, then "Preset 'custom' needs weekdays (Monday = 0 ... Sunday = 6)", then
"Preset 'custom' needs session_count (1-12)"). The plan-gate refusal now stands on the field that passes
it, the two reasons are told apart by their labels, and a weight or dose says its unit.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.lib.errors import ConflictError
from ketacare.treatments import services
from ketacare.treatments.models import TreatmentPlan
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)  # Mon 7 Dec 2026 10:15 in New York
GATE_LABEL = "Reason to plan with a step missing (screening, eligibility decision or consent)"
FINDING_LABEL = "Reason to go ahead despite a finding about this plan"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _url(personas: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})


def _text(body: str) -> str:
    return " ".join(html.unescape(strip_tags(body)).split())


def _between(body: str, start: str, end: str) -> str:
    """The page's text from the element `start` names to the one `end` names."""
    return _text(body[body.index(start) : body.index(end)])


def test_every_mistake_is_named_at_once_under_its_own_field(personas: Any, client_for: Any) -> None:
    # No intake on file, the IM protocol (a custom schedule only), no weekdays, no count, 800 kg.
    response = client_for("clinician_a").post(
        _url(personas),
        {
            "protocol_id": "im_ketamine",
            "preset_id": "",
            "first_session_at": "2026-12-08T09:00",
            "weight_kg": "800",
            "maintenance_policy": "decide_at_review",
            "hepatic_impairment": "none",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "800 kg is out of range; enter 20–350 kg" in _between(
        body, 'for="id_weight_kg"', 'for="id_weight_measured_on"'
    )
    weekdays = _between(body, "<legend>Weekdays</legend>", 'for="id_weight_kg"')
    assert (
        "The schedule “Custom IM schedule” is set by the clinic: tick the weekdays its sessions fall on"
        in weekdays
    )
    count = _between(body, 'for="id_session_count"', "<legend>Weekdays</legend>")
    assert (
        "The schedule “Custom IM schedule” is set by the clinic: give the number of sessions, 1 to 12"
        in count
    )
    gate = _between(body, 'for="id_gate_override_reason"', 'for="id_finding_reason"')
    assert "A plan needs: No completed screening is on file." in gate
    assert "write the prescriber's reason to plan with a step missing here" in gate
    text = _text(body)
    for internal in ("Monday = 0", "session_count", "weight_kg", "Preset 'custom'", "'custom'"):
        assert internal not in text
    assert not TreatmentPlan.objects.exists()


def test_the_two_reasons_are_told_apart(personas: Any, client_for: Any) -> None:
    body = client_for("clinician_a").get(_url(personas)).content.decode()
    text = _text(body)
    assert GATE_LABEL in text and FINDING_LABEL in text
    assert "Only when a step above is missing for this route." in text
    assert "Only when creating the plan names a finding" in text
    # The weekdays are a row of boxes under their legend, each box labelled by its day.
    assert "<legend>Weekdays</legend>" in body
    assert "Prescriber's reason to go ahead despite the plan's findings" not in text


def test_the_api_lists_every_refused_input_with_its_field(personas: Any, client_for: Any) -> None:
    response = client_for("clinician_a").post(
        f"/api/v1/patients/{personas.a1.public_id}/plans",
        json.dumps(
            {"protocol_id": "iv_ketamine", "first_session_at": "2026-12-08T09:00:00-05:00", "weight_kg": 800}
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"weight_kg", "gate_override_reason"}
    assert errors["weight_kg"] == "weight_kg 800 kg is out of range; enter 20–350 kg"


def test_a_plan_gate_refusal_alone_names_the_reason_field(personas: Any) -> None:
    with pytest.raises(ConflictError) as caught:
        services.create_treatment_plan(
            patient=personas.a1,
            user=personas.clinician_a,
            protocol_id="iv_ketamine",
            preset_id=None,
            first_session_at=NOW + dt.timedelta(days=1),
            weight_kg=70.0,
        )
    assert caught.value.field == "gate_override_reason"


def test_a_dose_outside_the_range_names_the_reason_field_by_its_label(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="checked_in")
    response = client_for("clinician_a").post(
        reverse("treatments:dose", kwargs={"session_id": session.public_id}),
        {"dose_mg": "120", "lot_number": "L1"},
    )
    assert response.status_code == 422
    text = _text(response.content.decode())
    assert "write why under “Reason, if outside the protocol's dose range” to record it anyway" in text
    assert "out_of_bounds_reason" not in text and "iv_ketamine" not in text
