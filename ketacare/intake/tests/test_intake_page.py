"""The intake page through HTTP: staff of the clinic only, htmx sections, live interaction flags."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AccessEvent
from ketacare.intake.models import Consent, Intake, MedicationList, ScreeningAssessment, WeightMeasurement
from ketacare.intake.tests.conftest import intake_url

pytestmark = pytest.mark.django_db


def test_a_clinician_sees_every_section_of_the_intake_page(personas, client_for):
    response = client_for("clinician_a").get(intake_url("page", personas.a1))
    assert response.status_code == 200
    text = response.content.decode()
    for heading in (
        "Demographics",
        "Current medications",
        "Screening and eligibility",
        "Consent",
        "Baseline",
    ):
        assert heading in text
    # The checklist and the class picker come from the core.
    assert "Arteriovenous malformation (AVM)" in text and "MAO inhibitors (MAOIs)" in text


def test_another_clinics_patient_is_a_404(personas, client_for):
    assert client_for("clinician_a").get(intake_url("page", personas.b1)).status_code == 404
    response = client_for("clinician_a").post(intake_url("weight", personas.b1), {"weight_kg": "70"})
    assert response.status_code == 404
    assert not WeightMeasurement.objects.exists()


def test_a_patient_cannot_open_their_own_intake_page(personas, client_for):
    assert client_for("a1").get(intake_url("page", personas.a1)).status_code == 404


def test_a_page_view_leaves_one_audit_row(personas, client_for):
    response = client_for("clinician_a").get(intake_url("page", personas.a1))
    rows = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert rows.count() == 1 and rows.get().patient_public_id == str(personas.a1.public_id)


def test_an_htmx_save_answers_with_the_section_alone(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("weight", personas.a1), {"weight_kg": "71.5"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="intake-demographics"')
    assert "<html" not in text and "71.5 kg" in text


def test_an_htmx_save_with_bad_input_shows_the_error_in_the_section(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("weight", personas.a1), {"weight_kg": "700"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "700 is outside the allowed range 20–350 kg" in response.content.decode()
    assert "weight_kg: 700" not in response.content.decode()  # under its field, without the internal name
    assert not WeightMeasurement.objects.exists()


def test_the_live_flags_partial_shows_the_interaction_with_its_sources_and_writes_nothing(
    personas, client_for
):
    response = client_for("clinician_a").post(
        intake_url("medication_flags", personas.a1),
        {"medications": "lorazepam 1 mg\nRitalin 10 mg\nsertraline"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="medication-flags"')
    assert "Benzodiazepines" in text and "Stimulants" in text and "(not saved yet)" in text
    # A cited source, resolved from the core, by its title (a link), not by KetaCare's key for it.
    assert ">MedicineNet, Side effects of Spravato" in text and "[MedicineNet]" not in text
    assert "Not in KetaCare's interaction list" in text and "sertraline — check it yourself" in text
    assert not MedicationList.objects.exists()


def test_a_clinician_walks_intake_screening_decision_and_consent(personas, client_for):
    client = client_for("clinician_a")
    patient = personas.a1
    assert (
        client.post(
            intake_url("demographics", patient),
            {
                "sex": "female",
                "height_cm": "168",
                "indications": ["treatment_resistant_depression", "anxiety"],
            },
        ).status_code
        == 302
    )
    assert client.post(intake_url("weight", patient), {"weight_kg": "64"}).status_code == 302
    assert (
        client.post(
            intake_url("medications", patient),
            {"medications": "phenelzine 15 mg", "drug_classes": ["lamotrigine"]},
        ).status_code
        == 302
    )
    assert (
        client.post(
            intake_url("screening", patient),
            {"conditions": ["uncontrolled_hypertension"], "all_items_asked": "on"},
        ).status_code
        == 302
    )
    assessment = ScreeningAssessment.objects.get(status="current")
    assert assessment.eligibility == "eligible_with_precautions"
    assert {r["id"] for r in assessment.reasons} == {"uncontrolled_hypertension", "maois", "lamotrigine"}
    assert (
        client.post(
            intake_url("decision", patient),
            {
                "assessment": str(assessment.public_id),
                "decision": "eligible_with_precautions",
                "note": "BP plan",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            intake_url("consent", patient),
            {
                "document_version": "v2",
                "signed_on": "2024-03-01",
                "signer_name": "A",
                "signer_relationship": "self",
                "signed_form_seen": "on",
            },
        ).status_code
        == 302
    )
    assessment.refresh_from_db()
    assert assessment.decided_by == personas.clinician_a
    assert Intake.objects.get().indications == ["treatment_resistant_depression", "anxiety"]
    assert Consent.objects.get().created_by == personas.clinician_a
    page = client.get(intake_url("page", patient)).content.decode()
    assert "Eligible with precautions" in page and "BP plan" in page


def test_server_owned_fields_in_a_form_are_ignored(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    client.post(
        intake_url("screening", personas.a1),
        {
            "conditions": ["arteriovenous_malformation"],
            "all_items_asked": "on",
            "eligibility": "eligible",
            "clinic": "2",
        },
    )
    assessment = ScreeningAssessment.objects.get()
    assert assessment.eligibility == "not_eligible" and assessment.clinic == personas.clinic_a


def test_a_stored_xss_payload_is_escaped(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "<script>alert(1)</script>"})
    text = client.get(intake_url("page", personas.a1)).content.decode()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_page_says_when_the_medicines_changed_after_the_screening(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    client.post(intake_url("screening", personas.a1), {"conditions": [], "all_items_asked": "on"})
    assert ScreeningAssessment.objects.filter(status="current").exists()
    client.post(intake_url("medications", personas.a1), {"medications": "lorazepam"})
    assert "run the screening again" in client.get(intake_url("page", personas.a1)).content.decode()


def test_saving_medications_over_htmx_also_refreshes_the_screening_section(personas, client_for):
    client = client_for("clinician_a")
    client.post(intake_url("medications", personas.a1), {"medications": "", "no_medicines": "on"})
    client.post(intake_url("screening", personas.a1), {"conditions": [], "all_items_asked": "on"})
    assert ScreeningAssessment.objects.filter(status="current").exists()
    response = client.post(
        intake_url("medications", personas.a1), {"medications": "lorazepam"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert '<section id="intake-screening"' in text and 'hx-swap-oob="true"' in text
    assert "run the screening again" in text
