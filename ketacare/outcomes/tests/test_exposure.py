"""Cumulative exposure on the outcomes page: per route and window, hand-computed (decision 0012)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.outcomes.selectors import exposure_rows
from ketacare.treatments.models import DoseAdministration
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _dose(patient: Any, *, days_ago: int, mg: str, route: str = "iv", devices: int = 1) -> None:
    started = timezone.now() - dt.timedelta(days=days_ago)
    session = make_dose(patient, route=route, started_at=started)
    for n in range(devices):
        DoseAdministration.objects.create(
            clinic=patient.clinic,
            patient=patient,
            session=session,
            created_by=patient.primary_clinician,
            drug="esketamine" if route == "esketamine_in" else "ketamine",
            route=route,
            dose_mg=Decimal(mg),
            lot_number="L1",
            started_at=started + dt.timedelta(minutes=5 * n),
        )


def test_exposure_is_the_distribution_of_each_patients_total_per_route_and_window(personas: Any) -> None:
    for days in (5, 20, 60):
        _dose(personas.a1, days_ago=days, mg="35")  # 105 mg, 3 sessions in 90 days
    _dose(personas.a2, days_ago=200, mg="70")
    _dose(personas.a2, days_ago=10, mg="40")  # 40 mg in 90 days; 110 mg, 2 sessions in 365
    _dose(personas.a2, days_ago=400, mg="70")  # outside both windows
    _dose(personas.a2, days_ago=3, mg="28", route="esketamine_in", devices=2)  # never added to IV
    _dose(personas.b1, days_ago=3, mg="999")  # another clinic
    rows = {(r.route, r.days): r for r in exposure_rows([personas.clinic_a], timezone.now())}
    iv90, iv365, esk90 = rows[("iv", 90)], rows[("iv", 365)], rows[("esketamine_in", 90)]
    assert (iv90.patients, iv90.median_mg, iv90.p90_mg, iv90.max_mg) == (2, 40.0, 105.0, 105.0)
    assert (iv90.median_sessions, iv90.max_sessions) == (1.0, 3)
    assert (iv365.patients, iv365.median_mg, iv365.max_mg, iv365.median_sessions, iv365.max_sessions) == (
        2,
        105.0,
        110.0,
        2.0,
        3,
    )
    assert (esk90.patients, esk90.max_mg, esk90.max_sessions) == (1, 56.0, 1)


def test_the_outcomes_page_shows_the_exposure_table(personas: Any, client_for: Any) -> None:
    _dose(personas.a1, days_ago=5, mg="35")
    page = client_for("admin_a").get(reverse("outcomes:page")).content.decode()
    section = page[page.index('id="exposure-h"') :]
    assert "Cumulative exposure per patient" in section and "35 mg" in section[: section.index("</table>")]
