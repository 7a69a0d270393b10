"""A refused discharge lists each reason once, in words for the end of a session.

The run-sheet shows the reasons under "Discharge refused" (and in the live checklist beside it); the
form above the button says where to look instead of repeating them all in one run-on line. A blood pressure still too high is said as a discharge
criterion (the level the session would not have started at), not with the pre-dose rule's "prescriber
decision before dosing".
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
from ketacare.treatments import services
from ketacare.treatments.models import TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session, staff_of

pytestmark = pytest.mark.django_db


def test_a_refused_discharge_says_each_reason_once(personas: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="observing", minutes_since_dose_end=125)
    services.record_vital_signs(
        session=session, user=staff_of(personas.a1), systolic_mmhg=182, diastolic_mmhg=112, heart_rate_bpm=80
    )
    nurse = login(Client(), make_nurse(personas.clinic_a))
    response = nurse.post(
        reverse("treatments:discharge", kwargs={"session_id": session.public_id}),
        {"ride_present": "on", "instructions_given": "on"},
    )
    assert response.status_code in (200, 422)
    text = " ".join(html.unescape(strip_tags(response.content.decode())).split())
    reason = (
        "Blood pressure 182/112 mmHg is still at a level this session would not have started at "
        "(systolic above 140 mmHg and diastolic above 90 mmHg)"
    )
    # Once under "Discharge refused" and once in the live discharge checklist beside it, never again in
    # the form's own error.
    assert len(re.findall(re.escape(reason), text)) == 2, text
    page = response.content.decode()
    refused = re.search(r'data-testid="discharge-refused".*?</div>', page, re.S)
    checklist = re.search(r'data-testid="unmet".*?</ul>', page, re.S)
    assert refused is not None and checklist is not None
    assert reason in html.unescape(refused.group(0)) and reason in html.unescape(checklist.group(0))
    assert "Discharge refused" in text
    assert "Not discharged: the reasons are listed under Discharge refused above." in text
    assert "prescriber decision before dosing" not in text
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.OBSERVING
