"""Every protocol the plan form offers has a route the consent form can cover: a consent that covers
intramuscular injection opens the plan gate for the intramuscular protocol, through the pages alone.

Crosses intake (consent) and treatments (the plan), so it lives with the other cross-app tests.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.urls import reverse

from ketacare.core.protocols import get_protocol, protocol_ids, route_ids
from ketacare.intake.models import Consent, ScreeningAssessment
from ketacare.treatments.models import TreatmentPlan

pytestmark = pytest.mark.django_db
PLANNED_AT = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
IM_ROUTE_NAME = "Intramuscular injection (racemic ketamine)"


def _intake(name, patient):
    return reverse(f"intake:{name}", kwargs={"patient_id": str(patient.public_id)})


def _screened_and_decided(client, patient):
    """Medicines, screening and an eligible decision, as a prescriber records them on the intake page."""
    assert (
        client.post(_intake("medications", patient), {"medications": "", "no_medicines": "on"}).status_code
        == 302
    )
    assert (
        client.post(_intake("screening", patient), {"conditions": [], "all_items_asked": "on"}).status_code
        == 302
    )
    screening = ScreeningAssessment.objects.get(patient=patient, status="current")
    decided = client.post(
        _intake("decision", patient), {"assessment": str(screening.public_id), "decision": "eligible"}
    )
    assert decided.status_code == 302


def _consent(client, patient, routes):
    return client.post(
        _intake("consent", patient),
        {
            "document_version": "IM-consent v1",
            "signed_on": "2026-11-20",
            "signer_name": patient.full_name,
            "signer_relationship": "self",
            "routes": routes,
            "signed_form_seen": "on",
        },
    )


def _im_plan(client, patient):
    return client.post(
        reverse("treatments:plan", kwargs={"patient_id": str(patient.public_id)}),
        {
            "protocol_id": "im_ketamine",
            "first_session_at": "2026-12-01T09:00",
            "weight_kg": "70",
            "weekdays": ["0"],
            "session_count": "4",
            "maintenance_policy": "decide_at_review",
        },
    )


def test_the_consent_form_offers_every_route_a_protocol_uses(personas, client_for):
    page = html.unescape(client_for("clinician_a").get(_intake("page", personas.a1)).content.decode())
    assert IM_ROUTE_NAME in page
    assert {get_protocol(protocol_id).route for protocol_id in protocol_ids()} <= set(route_ids())
    for route_id in route_ids():
        assert f'name="routes" value="{route_id}"' in page


def test_a_consent_covering_intramuscular_injection_opens_the_gate_for_the_im_protocol(personas, client_for):
    client = client_for("clinician_a")
    with time_machine.travel(PLANNED_AT, tick=False):
        _screened_and_decided(client, personas.a1)
        assert _consent(client, personas.a1, ["im"]).status_code == 302
        response = _im_plan(client, personas.a1)
    assert Consent.objects.get(patient=personas.a1).routes == ["im"]
    assert response.status_code == 302, html.unescape(response.content.decode())
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    assert plan.protocol_id == "im_ketamine" and plan.gate_override_reason == ""
    assert plan.appointments.count() == 4


def test_a_consent_for_iv_alone_still_does_not_cover_the_im_protocol(personas, client_for):
    client = client_for("clinician_a")
    with time_machine.travel(PLANNED_AT, tick=False):
        _screened_and_decided(client, personas.a1)
        assert _consent(client, personas.a1, ["iv"]).status_code == 302
        response = _im_plan(client, personas.a1)
    assert response.status_code == 422
    assert f"No valid consent covers {IM_ROUTE_NAME}" in html.unescape(response.content.decode())
    assert not TreatmentPlan.objects.exists()
