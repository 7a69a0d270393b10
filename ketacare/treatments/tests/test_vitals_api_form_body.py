"""The vitals API's form body: an empty optional field means "not given", and the document says so;
a field sent twice is refused.

Found by the API fuzzer: `measured_at=` in a form was accepted as "now" (by design, as the run
sheet sends it) while the document allowed only a date-time there; and `heart_rate_bpm=y&heart_rate_bpm=`
was accepted with the last (empty) reading silently winning over the invalid one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from ketacare.treatments.models import VitalSign
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_an_empty_measured_at_in_a_form_means_now(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="observing")
    response = client_for("clinician_a").post(
        reverse("api:record_session_vitals", kwargs={"session_id": session.public_id}),
        urlencode({"systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "", "measured_at": ""}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content
    vital = VitalSign.objects.get(public_id=response.json()["public_id"])
    assert vital.heart_rate_bpm is None and vital.measured_at > session.checked_in_at


def test_the_document_allows_an_empty_optional_form_field_only(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/sessions/{session_id}/vitals"]["post"]["requestBody"]["content"]
    form = body["application/x-www-form-urlencoded"]["schema"]
    empty = {"type": "string", "maxLength": 0}
    assert empty in form["properties"]["measured_at"]["anyOf"]
    assert empty in form["properties"]["heart_rate_bpm"]["anyOf"]
    assert "anyOf" not in form["properties"]["systolic_mmhg"]
    assert "anyOf" not in body["application/json"]["schema"]["properties"]["systolic_mmhg"]


def test_a_field_sent_twice_is_refused_naming_it(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="observing")
    before = VitalSign.objects.count()
    response = client_for("clinician_a").post(
        reverse("api:record_session_vitals", kwargs={"session_id": session.public_id}),
        "systolic_mmhg=120&diastolic_mmhg=80&heart_rate_bpm=y&heart_rate_bpm=",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["heart_rate_bpm"]
    assert VitalSign.objects.count() == before
