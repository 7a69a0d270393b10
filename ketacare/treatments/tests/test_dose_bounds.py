"""A dose outside the protocol's bounds needs an override reason; the hold blocks dosing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketacare.treatments.models import DoseAdministration
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _post(client, session, data):
    return client.post(reverse("treatments:dose", kwargs={"session_id": session.public_id}), data)


def test_an_iv_dose_above_the_protocol_range_without_a_reason_is_refused(personas, client_for):
    session = make_session(personas.a1, state="checked_in")
    response = _post(client_for("clinician_a"), session, {"dose_mg": "120", "lot_number": "L1"})
    assert response.status_code == 422
    body = response.content.decode()
    # Under the dose field, without its internal name.
    assert "120 is 1.71 mg/kg for 70 kg" in body and "0.1–1 mg/kg" in body and "dose_mg 120" not in body
    assert not DoseAdministration.objects.filter(session=session).exists()


def test_an_iv_dose_above_the_range_with_a_reason_is_recorded_with_it(personas, client_for):
    session = make_session(personas.a1, state="checked_in")
    response = _post(
        client_for("clinician_a"),
        session,
        {"dose_mg": "80", "lot_number": "L1", "out_of_bounds_reason": "Escalation agreed at review"},
    )
    assert response.status_code == 302
    dose = DoseAdministration.objects.get(session=session)
    assert dose.out_of_bounds_reason == "Escalation agreed at review"


def test_a_standard_iv_dose_starts_dosing(personas, client_for):
    session = make_session(personas.a1, state="checked_in")
    assert _post(client_for("clinician_a"), session, {"dose_mg": "35", "lot_number": "L1"}).status_code == 302
    session.refresh_from_db()
    assert session.state == "dosing" and session.dose_started_at is not None


def test_an_esketamine_device_must_be_28_mg(personas, client_for):
    session = make_session(personas.a1, route="esketamine_in", state="checked_in")
    response = _post(client_for("clinician_a"), session, {"dose_mg": "56", "lot_number": "L1"})
    assert response.status_code == 422
    assert "each nasal device delivers 28 mg" in response.content.decode()


def test_the_second_esketamine_device_waits_five_minutes(personas, client_for):
    session = make_session(personas.a1, route="esketamine_in", state="checked_in")
    client = client_for("clinician_a")
    assert _post(client, session, {"dose_mg": "28", "lot_number": "L1"}).status_code == 302
    response = _post(client, session, {"dose_mg": "28", "lot_number": "L1"})
    assert response.status_code == 422
    assert "less than 5 min after device 1" in response.content.decode()
    assert DoseAdministration.objects.filter(session=session).count() == 1


def test_a_pre_dose_hold_blocks_the_dose_until_a_prescriber_overrides_it(personas, client_for):
    session = make_session(personas.a1, state="checked_in", hold=True)
    response = _post(client_for("clinician_a"), session, {"dose_mg": "35", "lot_number": "L1"})
    assert response.status_code == 422
    assert "pre-dose hold is on" in response.content.decode()
    admin = client_for("admin_a").post(
        reverse("treatments:hold_override", kwargs={"session_id": session.public_id}),
        {"hold_override_reason": "I am not a prescriber"},
    )
    assert admin.status_code == 302
    session.refresh_from_db()
    assert session.hold_overridden_at is None
    prescriber = client_for("clinician_a").post(
        reverse("treatments:hold_override", kwargs={"session_id": session.public_id}),
        {"hold_override_reason": "Repeat reading lower; benefit outweighs risk"},
    )
    assert prescriber.status_code == 302
    assert _post(client_for("clinician_a"), session, {"dose_mg": "35", "lot_number": "L1"}).status_code == 302
