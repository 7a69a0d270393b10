"""Register times are the clinic's wall clock, named as such: the server's zone is UTC, the clinic's is
America/New_York (Clinic A), and a dose given at 15:26 in the clinic must read 15:26 on the ledger, as it
does on the run-sheet (a controlled-drug register is a legal record). The CSV carries the UTC offset; the
PDFs read as the ledger does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.register import reports, services
from ketacare.register.models import LossReport
from ketacare.treatments.services import end_dosing, record_dose
from tests.support.register import receive, start_register
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

# 6 December 2026 in New York is EST (UTC-05:00), the same calendar day as in UTC at these hours, so only
# the hour tells the zones apart. The infusion starts at 15:26 in the clinic and runs its 40 minutes.
DOSE_STARTED = dt.datetime(2026, 12, 6, 20, 26, tzinfo=dt.UTC)
DURING = dt.datetime(2026, 12, 6, 20, 40, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 6, 21, 10, tzinfo=dt.UTC)


def _start_infusion(personas: Any) -> dict[str, Any]:
    with time_machine.travel(DURING, tick=False):
        location, product = start_register(personas)
        lot = receive(personas, product, location, units=3)
        session = make_session(personas.a1, state="checked_in")
        services.draw_stock(session=session, user=personas.clinician_a, lot=lot, location=location, units=1)
        record_dose(
            session=session,
            user=personas.clinician_a,
            dose_mg=35,
            lot_number=lot.number,
            started_at=DOSE_STARTED,
        )
    return {"session": session, "lot": lot}


def _stop_infusion(personas: Any, session: Any) -> None:
    # The register posts an infusion's administration entry when it is stopped, dated at its start.
    with time_machine.travel(NOW, tick=False):
        end_dosing(
            session=session, user=personas.clinician_a, ended_at=DOSE_STARTED + dt.timedelta(minutes=40)
        )


@pytest.fixture
def dosed_at_a_known_instant(personas: Any) -> dict[str, Any]:
    dosed = _start_infusion(personas)
    _stop_infusion(personas, dosed["session"])
    return dosed


def test_the_ledger_shows_a_dose_at_the_clinics_time_as_the_run_sheet_does(
    client_for: Any, personas: Any
) -> None:
    client = client_for("clinician_a")
    dosed = _start_infusion(personas)
    with time_machine.travel(DURING, tick=False):
        sheet = client.get(
            reverse("treatments:run_sheet", kwargs={"session_id": dosed["session"].public_id})
        ).content.decode()
    # The run-sheet's "Doses given" table: the infusion started 15:26, still running.
    assert "<td>15:26</td><td>running</td>" in sheet
    _stop_infusion(personas, dosed["session"])
    with time_machine.travel(NOW, tick=False):
        ledger = client.get(reverse("register:ledger")).content.decode()
    row = next(line for line in ledger.splitlines() if "Administered" in line)
    assert "2026-12-06 15:26" in row and "20:26" not in row
    # The instant with its offset, for whoever reads the page's markup.
    assert 'datetime="2026-12-06T15:26:00-05:00"' in row
    assert "Times are clinic time (New York)" in ledger


def test_a_loss_typed_in_clinic_time_is_stored_and_shown_at_that_time(
    client_for: Any, personas: Any, dosed_at_a_known_instant: Any
) -> None:
    lot = dosed_at_a_known_instant["lot"]
    client = client_for("clinician_a")
    with time_machine.travel(NOW, tick=False):
        saved = client.post(
            reverse("register:loss"),
            {
                "kind": "loss",
                "lot": str(lot.public_id),
                "amount_mg": "50",
                "discovered_at": "2026-12-06T09:30",  # the form says: clinic time
                "description": "Vial dropped while stocking.",
            },
        )
        assert saved.status_code == 200
        home = client_for("admin_a").get(reverse("register:home")).content.decode()
    assert LossReport.objects.get().discovered_at == dt.datetime(2026, 12, 6, 14, 30, tzinfo=dt.UTC)
    assert "discovered 2026-12-06 09:30" in home
    assert "Times are clinic time (New York)" in home


def test_the_extracts_carry_the_clinic_time_with_its_utc_offset(
    client_for: Any, personas: Any, dosed_at_a_known_instant: Any
) -> None:
    period = {"start": "2026-12-01", "end": "2026-12-06"}
    with time_machine.travel(NOW, tick=False):
        response = client_for("admin_a").get(reverse("register:extract_csv"), period)
        html, _ = reports.document_html(
            personas.admin_a,
            reports.Period(personas.clinic_a, dt.date(2026, 12, 1), dt.date(2026, 12, 6), None),
            "extract",
        )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    administered = next(r for r in rows if r["Entry"] == "Administered")
    # The header says how the file writes its times.
    when = administered["Date and time (clinic time, ISO 8601 with UTC offset)"]
    assert when == "2026-12-06T15:26:00-05:00"
    # ISO 8601 with an offset: any reader recovers the instant without knowing the clinic's zone.
    assert dt.datetime.fromisoformat(when) == DOSE_STARTED
    assert dt.datetime.fromisoformat(when).astimezone(zoneinfo.ZoneInfo("America/New_York")).hour == 15
    # The PDF reads as the ledger page does, on the same clock, and says which clock it is.
    assert '<td class="nowrap">2026-12-06 15:26</td>' in html
    assert "T15:26" not in html and "-05:00" not in html
    assert "All times are clinic time, New York" in html


@pytest.mark.parametrize("typed", ["0001-01-01T00:30", "9999-12-31T23:59"])
def test_a_loss_at_the_ends_of_the_calendar_is_refused_on_its_field(
    client_for: Any, dosed_at_a_known_instant: dict[str, Any], typed: str
) -> None:
    response = client_for("clinician_a").post(
        reverse("register:loss"),
        {
            "kind": "loss",
            "lot": str(dosed_at_a_known_instant["lot"].public_id),
            "amount_mg": "50",
            "discovered_at": typed,
            "description": "Typed by mistake.",
        },
    )
    assert response.status_code == 422
    assert "discovered_at must be between 2000 and 2200" in response.content.decode()
    assert not LossReport.objects.exists()
