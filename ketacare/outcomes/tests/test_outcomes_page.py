"""The outcomes page, its CSV export and the API through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from tests.support.cohort import seed_cohort

pytestmark = pytest.mark.django_db


def test_the_page_shows_rates_with_intervals_and_published_ranges(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    response = client_for("clinician_a").get("/clinic/outcomes/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "2/5 = 40%" in body and "(12–77%)" in body  # Wilson 2/5: 0.1176-0.7693
    # Published figures name their sources as citations, not the knowledge base's keys.
    assert "Alnefeesi Y, Chen-Li D" in body and "about 45–55% response" in body
    assert "Alnefeesi2022" not in body and "Han2016" not in body
    assert '<title id="km-title">' in body and "median time to relapse: <strong>28 days" in body
    assert "Cohort B" not in body
    # The condition rows cover the cohort and say why they can add up to more than it.
    assert "No condition recorded" in body and "counts under each" in body
    assert "Han Y, Chen J" in body and "20–46% remission" in body


def test_a_staff_member_of_the_other_clinic_sees_only_their_clinic(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    body = client_for("clinician_b").get("/clinic/outcomes/").content.decode()
    assert "1/1 = 100%" in body  # Clinic B's one patient: 20 -> 2


def test_the_csv_export_is_aggregates_only_and_audited(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    response = client_for("admin_a").get("/clinic/outcomes/export.csv", {"instrument": "phq9"})
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "by_instrument:response,phq9" in text and "relapse_km,28" in text
    assert "Cohort P" not in text
    assert AccessEvent.objects.filter(action="export", object_type="outcomes").count() == 1


def test_all_my_clinics_combines_the_clinics_a_user_administers(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    StaffMembership.objects.create(user=personas.admin_a, clinic=personas.clinic_b, role="clinic_admin")
    body = client_for("admin_a").get("/clinic/outcomes/", {"scope": "all"}).content.decode()
    assert "all my clinics" in body
    assert "3/6 = 50%" in body  # Clinic A's 2/5 plus Clinic B's 1/1


def test_a_clinician_asking_for_all_clinics_gets_only_the_active_one(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    body = client_for("clinician_a").get("/clinic/outcomes/", {"scope": "all"}).content.decode()
    assert "2/5 = 40%" in body and "all my clinics" not in body


def test_bad_filters_name_the_field_and_change_nothing(personas: Any, client_for: Any) -> None:
    body = (
        client_for("clinician_a")
        .get("/clinic/outcomes/", {"start": "2026-02-01", "end": "2026-01-01"})
        .content.decode()
    )
    # Named by the labels the form shows, not the fields' internal names.
    assert "Baseline to (2026-01-01) must be on or after Baseline from (2026-02-01)" in body


def test_the_api_returns_the_same_numbers(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)
    data = client_for("clinician_a").get("/api/v1/outcomes/").json()
    phq9 = next(r for r in data["by_instrument"] if r["group"] == "phq9")
    assert (phq9["evaluable"], phq9["responders"], phq9["remitters"]) == (5, 2, 1)
    assert data["relapse_median_days"] == 28
    assert client_for("clinician_a").get("/api/v1/outcomes/", {"instrument": "nope"}).status_code == 422
