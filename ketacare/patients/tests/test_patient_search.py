"""Patient search ignores accents, case and word order, and finds record numbers without their prefix,
on the page and in the API, at a cost that does not grow with the matches."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketacare.patients.models import Patient
from ketacare.patients.search import search_words

pytestmark = pytest.mark.django_db


def _patient(clinic: Any, name: str, record_number: str = "", **extra: Any) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        full_name=name,
        date_of_birth=dt.date(1985, 1, 1),
        medical_record_number=record_number,
        **extra,
    )


def _found(client: Any, query: str) -> list[str]:
    api = client.get("/api/v1/patients", {"q": query}).json()
    return [p["full_name"] for p in api["results"]]


@pytest.fixture
def named(personas: Any) -> dict[str, Patient]:
    # Made in one bulk insert as the demo seeding makes most of its patients, and one by one.
    chloe, aaron = Patient.objects.bulk_create(
        [
            Patient(
                clinic=personas.clinic_a,
                full_name="Chloé O'Brien",
                date_of_birth=dt.date(1985, 1, 1),
                medical_record_number="A-000016",
            ),
            Patient(clinic=personas.clinic_a, full_name="Aaron Smith", date_of_birth=dt.date(1985, 1, 1)),
        ]
    )
    return {
        "chloe": chloe,
        "aaron": aaron,
        "soren": _patient(personas.clinic_a, "Søren Ångström", preferred_name="Sam"),
        "elsewhere": _patient(personas.clinic_b, "Chloe Other", "A-000016"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chloe", ["Chloé O'Brien"]),
        ("CHLOÉ", ["Chloé O'Brien"]),
        ("o'brien", ["Chloé O'Brien"]),
        ("obrien chloe", ["Chloé O'Brien"]),
        ("brien", ["Chloé O'Brien"]),
        ("smith aaron", ["Aaron Smith"]),
        ("Smith,  Aaron", ["Aaron Smith"]),
        ("smith zed", []),
        ("000016", ["Chloé O'Brien"]),
        ("A-000016", ["Chloé O'Brien"]),
        ("a000016", ["Chloé O'Brien"]),
        ("soren angstrom", ["Søren Ångström"]),
        ("sam", ["Søren Ångström"]),
        ("MRN-A2", ["Arthur CanaryA2"]),
        # Another clinic's record-number prefix is searched whole, not as any "b" and any "0000".
        ("B-0000", []),
        ("A-0000", ["Chloé O'Brien"]),
        ("'", []),
    ],
)
def test_search_finds_by_any_word_order_accent_and_record_number(named, client_for, query, expected):
    client = client_for("clinician_a")
    assert _found(client, query) == expected
    page = client.get(reverse("patients:list"), {"q": query}).content.decode()
    for name in expected:
        assert name.replace("'", "&#x27;") in page
    if not expected:
        assert "No patients match" in page


def test_another_clinics_patient_is_never_found(named, client_for):
    assert "Chloe Other" not in _found(client_for("clinician_a"), "chloe")
    assert _found(client_for("clinician_b"), "000016") == ["Chloe Other"]


def test_a_corrected_name_is_searched_under_the_new_name(named, client_for):
    client = client_for("clinician_a")
    aaron = named["aaron"]
    response = client.post(
        reverse("patients:edit", kwargs={"patient_id": aaron.public_id}),
        {
            "full_name": "Aaron Smyth-Jones",
            "date_of_birth": "1985-01-01",
            "sex": "unknown",
            "phone": "+1 555 0100",
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302
    assert _found(client, "jones smyth") == ["Aaron Smyth-Jones"]
    assert _found(client, "smith aaron") == []


def test_the_folding_of_names():
    assert search_words("Chloé O'Brien") == ["chloe", "obrien"]
    assert search_words("Zoë D’Arcy-Łukasz") == ["zoe", "darcy", "lukasz"]
    assert search_words("Straße Æsa") == ["strasse", "aesa"]
    assert search_words("A-000016") == ["a", "000016"]


def test_the_migration_fills_the_search_words_of_existing_patients(named, client_for):
    Patient.objects.update(search_text="")
    assert _found(client_for("clinician_a"), "chloe") == []
    migration = importlib.import_module("ketacare.patients.migrations.0003_archive_reason_and_search_text")
    migration.fill_search_text(apps, None)
    assert _found(client_for("clinician_a"), "chloe") == ["Chloé O'Brien"]
    assert Patient.objects.get(pk=named["soren"].pk).search_text == "soren angstrom sam"
    assert Patient.objects.get(pk=named["chloe"].pk).search_text == "chloe obrien a 000016 a000016"


def test_a_search_costs_the_same_for_3_or_30_matches(personas, client_for):
    client = client_for("clinician_a")
    client.get(reverse("patients:list"))  # the session's first stamps, before any count

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("patients:list"), {"q": "smith aaron"}).status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        _patient(personas.clinic_a, f"Aaron Smith {n}")
    few = count()
    for n in range(3, 30):
        _patient(personas.clinic_a, f"Aaron Smith {n}")
    assert count() == few
