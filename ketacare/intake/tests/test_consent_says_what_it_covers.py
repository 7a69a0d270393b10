"""A recorded consent says which routes it covers, in words, and which route of the patient's treatment
it does not cover; the intake page, its htmx answer and the saved message say it."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine

from ketacare.intake.services import record_consent, withdraw_consent
from ketacare.intake.tests.conftest import intake_url
from ketacare.patients import facts

pytestmark = pytest.mark.django_db

# Mon 7 Dec 2026 10:15 in New York (clinic A).
NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)
IV = "Intravenous infusion (racemic ketamine)"
ESKETAMINE = "Esketamine nasal spray (SPRAVATO)"


def _consent(personas, routes: list[str]):
    return record_consent(
        patient=personas.a1,
        user=personas.clinician_a,
        document_version="ZH-consent-v1",
        signed_on=dt.date(2026, 12, 7),
        signer_name="Sam Rivera",
        signer_relationship="self",
        routes=routes,
        signed_form_seen=True,
    )


def _consent_section(client, patient) -> str:
    text = html.unescape(client.get(intake_url("page", patient)).content.decode())
    return text[text.index('<section id="intake-consent"') : text.index('<section id="intake-baseline"')]


def test_a_consent_names_the_routes_it_covers_in_words(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        _consent(personas, ["iv", "esketamine_in"])
        section = _consent_section(client_for("clinician_a"), personas.a1)
    assert "Version ZH-consent-v1, signed Mon 7 Dec 2026 by Sam Rivera (the patient)." in section
    assert f"It covers {IV} and {ESKETAMINE}." in section
    assert "esketamine_in" not in section.replace('value="esketamine_in"', "")


def test_a_consent_with_no_route_ticked_says_no_plan_can_rest_on_it(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        _consent(personas, [])
        section = _consent_section(client_for("clinician_a"), personas.a1)
    assert "It covers no route (none was ticked), so no treatment plan can rest on it." in section


def test_a_withdrawn_consent_says_what_it_covered_until_then(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        consent = _consent(personas, ["iv"])
        withdraw_consent(consent=consent, user=personas.clinician_a, reason="Phoned to withdraw")
        section = _consent_section(client_for("clinician_a"), personas.a1)
    assert f"Until it was withdrawn it covered {IV}." in section
    assert f"It covers {IV}" not in section


def test_a_consent_that_misses_the_route_of_the_treatment_says_so(personas, client_for, monkeypatch):
    # The route the patient is treated with is a treatments fact (the latest dose, else the latest plan);
    # plans themselves are made in tests/integration, since intake does not import treatments.
    monkeypatch.setattr(facts, "patient_route", lambda patient, *, now: "esketamine_in")
    with time_machine.travel(NOW, tick=False):
        _consent(personas, ["iv"])
        section = _consent_section(client_for("clinician_a"), personas.a1)
    assert f"It covers {IV}." in section
    assert (
        f"It does not cover {ESKETAMINE}, the route the patient is treated with (the latest dose, else the "
        "latest plan)." in section
    )


def test_a_consent_that_covers_the_route_of_the_treatment_adds_nothing(personas, client_for, monkeypatch):
    monkeypatch.setattr(facts, "patient_route", lambda patient, *, now: "iv")
    with time_machine.travel(NOW, tick=False):
        _consent(personas, ["iv"])
        section = _consent_section(client_for("clinician_a"), personas.a1)
    assert f"It covers {IV}." in section and "It does not cover" not in section


def test_the_saved_answer_says_what_the_consent_covers(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            intake_url("consent", personas.a1),
            {
                "document_version": "ZH-consent-v1",
                "signed_on": "2026-12-07",
                "signer_name": "Sam Rivera",
                "signer_relationship": "self",
                "routes": ["esketamine_in"],
                "signed_form_seen": "on",
            },
            HTTP_HX_REQUEST="true",
        )
    text = html.unescape(response.content.decode())
    assert f"Consent recorded. It covers {ESKETAMINE}." in text
    assert f"It covers {ESKETAMINE}." in text[text.index('data-testid="consent"') :]
