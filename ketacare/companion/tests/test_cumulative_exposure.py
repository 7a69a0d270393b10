"""Decision 0012 rule 19: the staff progress page shows cumulative ketamine exposure (mg and sessions per
30/90/365 days) from the core, with display names and no limit KetaCare would invent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.companion.progress import exposure_context
from ketacare.treatments.models import DoseAdministration
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _dose(patient: Any, author: Any, *, days_ago: float, mg: str | None) -> None:
    started = timezone.now() - dt.timedelta(days=days_ago)
    session = make_dose(patient, started_at=started)
    if mg is not None:
        DoseAdministration.objects.create(
            clinic=patient.clinic, patient=patient, session=session, drug="ketamine", route="iv",
            dose_mg=Decimal(mg), lot_number="L1", started_at=started, created_by=author,
        )  # fmt: skip


def test_exposure_counts_sessions_and_mg_per_window(personas: Any) -> None:
    author = personas.clinician_a
    _dose(personas.a1, author, days_ago=10, mg="35")
    _dose(personas.a1, author, days_ago=60, mg="40")
    _dose(personas.a1, author, days_ago=200, mg="30")
    _dose(personas.a1, author, days_ago=400, mg=None)
    context = exposure_context(personas.a1, now=timezone.now())
    rows = {row["label"]: (row["sessions"], row["total_mg"]) for row in context["exposure_rows"]}
    assert rows == {"Last 30 days": (1, 35.0), "Last 90 days": (2, 75.0), "Last 365 days": (3, 105.0)}
    assert context["exposure"] == {"lifetime_sessions": 4, "lifetime_mg": 105.0}
    assert context["exposure_missing_mg"] == 1


def test_the_staff_progress_page_shows_exposure_with_display_names(personas: Any, client_for: Any) -> None:
    _dose(personas.a1, personas.clinician_a, days_ago=3, mg="35")
    url = reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)})
    body = client_for("clinician_a").get(url).content.decode()
    assert "Cumulative ketamine exposure" in body
    assert "Last 30 days" in body and "35 mg" in body
    assert "iv_ketamine" not in body and ">iv " not in body
    assert "No published limit" in body


def test_no_doses_says_so(personas: Any, client_for: Any) -> None:
    url = reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a2.public_id)})
    assert "No doses recorded yet." in client_for("clinician_a").get(url).content.decode()
