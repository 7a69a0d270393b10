"""The screening's SPRAVATO REMS form line shows only when esketamine nasal spray is among the patient's
routes: a valid consent covers it (here), or the latest plan or dose uses it (tests/integration)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ketacare.intake.services import record_consent, record_medications, withdraw_consent
from ketacare.intake.tests.conftest import intake_url
from tests.support.clinic_hours import page_text
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db

REMS_LINE = "Esketamine nasal spray (SPRAVATO) REMS patient monitoring form: tick yes for Benzodiazepines."


def _screening_text(page: str) -> str:
    section = re.search(r'<section id="intake-screening".*?</section>', page, re.S)
    assert section, "no screening section"
    return page_text(section.group(0))


def _screened_on_lorazepam(personas: Any) -> None:
    record_medications(
        patient=personas.a1, user=personas.clinician_a, medications=["lorazepam 1 mg at night"]
    )
    screened(patient=personas.a1, user=personas.clinician_a)


def _consent(personas: Any, routes: list[str]) -> Any:
    return record_consent(
        patient=personas.a1,
        user=personas.clinician_a,
        document_version="BP-1",
        signed_on=dt.date(2026, 1, 5),
        signer_name="Alice",
        signer_relationship="self",
        routes=routes,
        signed_form_seen=True,
    )


def test_an_iv_only_consent_gets_no_rems_instruction(personas, client_for):
    _screened_on_lorazepam(personas)
    _consent(personas, ["iv"])
    text = _screening_text(client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode())
    assert "Benzodiazepines" in text  # the screening's finding itself stays, with its sources
    assert "REMS patient monitoring form: tick yes" not in text and "tick yes for" not in text


def test_no_route_yet_gets_no_rems_instruction(personas, client_for):
    _screened_on_lorazepam(personas)
    text = _screening_text(client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode())
    assert "tick yes for" not in text


def test_a_consent_for_esketamine_shows_the_rems_instruction_until_it_is_withdrawn(personas, client_for):
    _screened_on_lorazepam(personas)
    consent = _consent(personas, ["iv", "esketamine_in"])
    client = client_for("clinician_a")
    assert REMS_LINE in _screening_text(client.get(intake_url("page", personas.a1)).content.decode())
    withdraw_consent(consent=consent, user=personas.clinician_a, reason="Phoned to withdraw")
    assert "tick yes for" not in _screening_text(client.get(intake_url("page", personas.a1)).content.decode())


def test_recording_an_esketamine_consent_refreshes_the_screening_at_once(personas, client_for):
    _screened_on_lorazepam(personas)
    response = client_for("clinician_a").post(
        intake_url("consent", personas.a1),
        {
            "document_version": "BP-1",
            "signed_on": "2026-01-05",
            "signer_name": "Alice",
            "signer_relationship": "self",
            "routes": ["esketamine_in"],
            "signed_form_seen": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert '<section id="intake-screening"' in page and 'hx-swap-oob="true"' in page
    assert REMS_LINE in _screening_text(page)
