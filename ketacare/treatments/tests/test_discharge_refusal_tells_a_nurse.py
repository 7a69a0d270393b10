"""A nurse whose discharge is refused learns what a prescriber can do, and what nobody can override.

The refusal listed the unmet criteria and stopped there; the override field is a prescriber's only, so a
nurse never saw that one exists. The refusal now says so, and names the criteria no override passes.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from conftest import login
from ketacare.treatments.models import TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

HOW = "If a criterion cannot be met, ask a prescriber: a prescriber can discharge with a recorded reason."


def _refusal(client: Client, session: TreatmentSession, data: dict[str, str]) -> str:
    response = client.post(reverse("treatments:discharge", kwargs={"session_id": session.public_id}), data)
    assert response.status_code == 422
    box = re.search(r'data-testid="discharge-refused".*?</div>', response.content.decode(), re.S)
    assert box is not None
    return " ".join(html.unescape(strip_tags(box.group(0))).split())


def test_a_nurse_is_told_a_prescriber_can_discharge_with_a_reason(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    box = _refusal(nurse, session, {"ride_present": "on", "instructions_given": "on"})
    assert "Observed 30 min of the required 60 min" in box
    assert HOW in box and "No override passes" not in box


def test_the_criteria_no_override_passes_are_named(personas: Any) -> None:
    # Esketamine at 30 minutes: its 120-minute observation never yields; the missing ride does.
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    box = _refusal(nurse, session, {"instructions_given": "on"})
    assert HOW in box
    assert "No override passes these, which must be met first: Observed 30 min of the required 120 min" in box


def test_when_nothing_unmet_can_be_overridden_a_nurse_is_not_sent_to_a_prescriber(personas: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    box = _refusal(nurse, session, {"ride_present": "on", "instructions_given": "on"})
    assert "ask a prescriber" not in box
    assert "No override passes these; each must be met before the patient leaves:" in box


def test_a_prescriber_has_the_override_field_instead(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    box = _refusal(client_for("clinician_a"), session, {"ride_present": "on", "instructions_given": "on"})
    assert HOW not in box
