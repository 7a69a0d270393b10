"""Recording a consent needs the recorder's word that they saw the signed form filed, and its date typed.

The consent form starts with the attestation unticked and the signing date empty (the date on the paper
is not today's by default); posted without the tick it is refused under that field and nothing is
written, with every other mistake named at the same time. Who attested and when are the consent's
author and creation time, shown with it.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine

from ketacare.intake.models import Consent
from ketacare.intake.services import record_consent
from ketacare.intake.tests.conftest import api_url, intake_url
from ketacare.lib.errors import FieldError

pytestmark = pytest.mark.django_db

# Mon 7 Dec 2026 10:15 in New York (clinic A).
NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)
LABEL = (
    "I have seen the consent form signed by the person named under “Signed by”, and it is filed in the "
    "clinic's records"
)
REFUSAL = "Required: tick this once you have seen the signed consent form and it is filed in the clinic"


def _consent(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "document_version": "ZH-consent-v1",
        "signed_on": "2026-12-07",
        "signer_name": "Alice CanaryA1",
        "signer_relationship": "self",
        "routes": ["iv"],
    }
    data.update(overrides)
    return data


def _consent_section(text: str) -> str:
    return text[text.index('<section id="intake-consent"') :]


def _field_group(text: str, name: str) -> str:
    """The consent form's markup around one field: its input and the errors just before it."""
    at = text.index(f'name="{name}"')
    return text[max(0, at - 1500) : at + 800]


def test_the_consent_form_starts_unticked_with_no_signing_date(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    section = html.unescape(_consent_section(text))
    assert LABEL in section
    checkbox = re.search(r'<input type="checkbox" name="signed_form_seen"[^>]*>', section)
    assert checkbox is not None and "checked" not in checkbox.group()
    date_input = re.search(r'<input type="date" name="signed_on"[^>]*>', section)
    assert date_input is not None and "value=" not in date_input.group()
    assert "The date written on the signed form." in section


def test_a_consent_without_the_tick_is_refused_under_it_and_nothing_is_written(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(intake_url("consent", personas.a1), _consent())
    assert response.status_code == 422
    text = html.unescape(response.content.decode())
    assert REFUSAL in _field_group(text, "signed_form_seen")
    assert not Consent.objects.exists()


def test_over_htmx_the_refusal_stands_in_the_consent_section(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            intake_url("consent", personas.a1), _consent(), HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    text = html.unescape(response.content.decode())
    assert text.lstrip().startswith('<section id="intake-consent"')
    assert REFUSAL in _field_group(text, "signed_form_seen")
    assert "Consent recorded" not in text
    assert not Consent.objects.exists()


def test_the_missing_tick_and_an_empty_date_are_named_together(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for("clinician_a").post(
            intake_url("consent", personas.a1), _consent(signed_on="", signer_name="")
        )
    assert response.status_code == 422
    text = html.unescape(response.content.decode())
    assert REFUSAL in _field_group(text, "signed_form_seen")
    assert "Required: enter the date written on the signed form." in _field_group(text, "signed_on")
    assert "This field is required" in _field_group(text, "signer_name")
    assert not Consent.objects.exists()


def test_with_the_tick_the_consent_is_recorded_with_who_attested_and_when(personas, client_for, nurse_a):
    from django.test import Client

    from conftest import login

    with time_machine.travel(NOW, tick=False):
        client = login(Client(), nurse_a)
        response = client.post(intake_url("consent", personas.a1), _consent(signed_form_seen="on"))
        assert response.status_code == 302
        text = html.unescape(client.get(intake_url("page", personas.a1)).content.decode())
    consent = Consent.objects.get()
    assert consent.signed_form_seen is True
    assert (consent.created_by, consent.created_at) == (nurse_a, NOW)
    assert (
        "Recorded by Nurse A on Mon 7 Dec 2026 10:15, who saw the signed form, filed in the clinic's records."
        in _consent_section(text)
    )


def test_the_service_records_nothing_without_the_tick_whatever_the_door(personas):
    with time_machine.travel(NOW, tick=False), pytest.raises(FieldError) as refused:
        record_consent(
            patient=personas.a1,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2026, 12, 1),
            signer_name="Alice CanaryA1",
            signer_relationship="self",
            routes=["iv"],
            signed_form_seen=False,
        )
    assert refused.value.field == "signed_form_seen"
    assert "Nothing was recorded" in refused.value.message
    assert not Consent.objects.exists()


def test_a_consent_stored_without_the_tick_says_so(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        consent = record_consent(
            patient=personas.a1,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2026, 12, 1),
            signer_name="Alice CanaryA1",
            signer_relationship="self",
            routes=["iv"],
            signed_form_seen=True,
        )
        # A consent stored before the tick existed (intake.0007 gave old rows False).
        Consent.objects.filter(pk=consent.pk).update(signed_form_seen=False)
        text = html.unescape(client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode())
    assert Consent.objects.get().signed_form_seen is False
    assert (
        "without saying they saw the signed form: check that it is filed in the clinic's records"
        in _consent_section(text)
    )


def test_the_api_summary_says_whether_the_form_was_seen_and_the_routes_in_words(personas, client_for):
    with time_machine.travel(NOW, tick=False):
        client = client_for("clinician_a")
        client.post(
            intake_url("consent", personas.a1),
            _consent(signed_form_seen="on", routes=["iv", "esketamine_in"]),
        )
        body = client.get(api_url(personas.a1)).json()
    (consent,) = body["consents"]
    assert consent["signed_form_seen"] is True
    assert consent["routes"] == ["iv", "esketamine_in"]
    assert consent["route_names"] == [
        "Intravenous infusion (racemic ketamine)",
        "Esketamine nasal spray (SPRAVATO)",
    ]
    assert consent["withdrawn_at"] is None and consent["created_at"].startswith("2026-12-07T15:15")
