"""The staff patient list: only the active clinic, search, sort allow-list, pagination, switcher."""

from __future__ import annotations

import datetime as dt

import pytest

from ketacare.clinics.models import StaffMembership
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_a_clinician_sees_only_their_clinics_patients(personas, client_for):
    page = client_for("clinician_a").get("/clinic/patients/").content.decode()
    assert "CanaryA1" in page and "CanaryA2" in page and "CanaryB1" not in page


def test_search_matches_name_and_record_number(personas, client_for):
    client = client_for("clinician_a")
    assert "CanaryA2" not in client.get("/clinic/patients/?q=alice").content.decode()
    page = client.get(f"/clinic/patients/?q={personas.a2.medical_record_number}").content.decode()
    assert "CanaryA2" in page and "CanaryA1" not in page


def test_search_with_no_match_shows_an_empty_state(personas, client_for):
    assert "No patients match" in client_for("clinician_a").get("/clinic/patients/?q=zzz").content.decode()


def test_an_unknown_sort_key_falls_back_to_name_instead_of_reaching_the_database(personas, client_for):
    response = client_for("clinician_a").get("/clinic/patients/?sort=password;DROP")
    assert response.status_code == 200
    api = client_for("clinician_a").get("/api/v1/patients?sort=password")
    assert api.status_code == 422 and "sort" in api.content.decode()


def test_the_list_is_paginated(personas, client_for):
    Patient.objects.bulk_create(
        Patient(clinic=personas.clinic_a, full_name=f"Zed {n:03d}", date_of_birth=dt.date(1990, 1, 1))
        for n in range(60)
    )
    client = client_for("clinician_a")
    first = client.get("/clinic/patients/").content.decode()
    assert "Page 1 of 3" in first
    third = client.get("/clinic/patients/?page=3").content.decode()
    assert "Zed 059" in third and "Zed 000" not in third
    api = client.get("/api/v1/patients?page=2").json()
    assert api["count"] == 62 and api["page"] == 2 and len(api["results"]) == 25


def test_sorting_by_date_of_birth_descending(personas, client_for):
    Patient.objects.filter(pk=personas.a2.pk).update(date_of_birth=dt.date(2000, 1, 1))
    page = client_for("clinician_a").get("/clinic/patients/?sort=-dob").content.decode()
    assert page.index("CanaryA2") < page.index("CanaryA1")


def test_the_clinic_switcher_changes_the_list_for_staff_at_two_clinics(personas, client_for):
    StaffMembership.objects.create(user=personas.clinician_a, clinic=personas.clinic_b, role="nurse")
    client = client_for("clinician_a")
    assert "CanaryB1" not in client.get("/clinic/patients/").content.decode()
    response = client.post("/clinic/switch/", {"clinic": str(personas.clinic_b.public_id)})
    assert response.status_code == 302
    page = client.get("/clinic/patients/").content.decode()
    assert "CanaryB1" in page and "CanaryA1" not in page


def test_switching_to_a_clinic_you_do_not_work_at_changes_nothing(personas, client_for):
    client = client_for("clinician_a")
    client.post("/clinic/switch/", {"clinic": str(personas.clinic_b.public_id)})
    assert "CanaryB1" not in client.get("/clinic/patients/").content.decode()


def test_the_htmx_search_returns_only_the_table_partial(personas, client_for):
    response = client_for("clinician_a").get("/clinic/patients/?q=Canary", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body and "<html" not in body
