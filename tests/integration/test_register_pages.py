"""Register pages and API through HTTP: roles, blind counts, the patient label, the CSV guard."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from ketacare.register import services
from ketacare.register.models import Entry, Receipt
from ketacare.treatments.services import record_dose
from tests.support.register import add_nurse, receive, start_register
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=3)
    session = make_session(personas.a1, state="checked_in")
    draw = services.draw_stock(
        session=session, user=personas.clinician_a, lot=lot, location=location, units=1
    )
    now = timezone.now()
    record_dose(
        session=session,
        user=personas.clinician_a,
        dose_mg=35,
        lot_number=lot.number,
        started_at=now - dt.timedelta(minutes=45),
        ended_at=now - dt.timedelta(minutes=5),
    )
    nurse = add_nurse(personas.clinic_a)
    services.close_draw(
        draw=draw, user=personas.clinician_a, witness=services.VerifiedWitness(nurse, timezone.now())
    )
    return {"location": location, "product": product, "lot": lot, "session": session, "nurse": nurse}


def test_the_ledger_names_the_patient_by_initials_and_record_number_only(
    client_for: Any, personas: Any, dosed: Any
) -> None:
    page = client_for("clinician_a").get("/clinic/register/ledger/").content.decode()
    assert personas.a1.title_label() in page
    assert personas.a1.full_name not in page
    assert "Administered" in page and "Wasted (witnessed)" in page


def test_the_count_form_is_blind_and_the_result_shows_the_difference(client_for: Any, dosed: Any) -> None:
    client = client_for("clinician_a")
    form = client.get("/clinic/register/count/").content.decode()
    assert "1000 mg" not in form and "2 vials" not in form and "1000" not in form.replace("10000", "")
    lot = dosed["lot"]
    response = client.post("/clinic/register/count/", {"kind": "daily", f"lot_{lot.public_id}": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "expected" in body.lower() and "-500 mg" in body
    admin_home = client_for("admin_a").get("/clinic/register/").content.decode()
    assert "Count differences to investigate (1)" in admin_home


def test_an_admin_cannot_record_a_delivery(client_for: Any, personas: Any, dosed: Any) -> None:
    before = Receipt.objects.count()
    response = client_for("admin_a").post(
        "/clinic/register/receive/",
        {
            "product": str(dosed["product"].public_id),
            "location": str(dosed["location"].public_id),
            "lot_number": "NEW",
            "expires_on": "2030-01-01",
            "units": "1",
            "supplier": "S",
            "invoice_number": "I",
            "received_on": timezone.now().date().isoformat(),
        },
    )
    assert response.status_code == 403
    assert "only a nurse or prescriber" in response.content.decode()
    assert Receipt.objects.count() == before


def test_the_csv_extract_guards_against_formulas(client_for: Any, personas: Any, dosed: Any) -> None:
    services.receive_stock(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        product=dosed["product"],
        lot_number="=HYPERLINK(1)",
        expires_on=dt.date(2030, 1, 1),
        location=dosed["location"],
        units=1,
        supplier="=cmd|' /C calc'!A0",
        invoice_number="@SUM(1)",
        received_on=timezone.now().date(),
    )
    response = client_for("admin_a").get("/clinic/register/reports/extract.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(1)" in cells
    assert not any(cell[:1] in "=+@" for cell in cells if cell)
    # Signed numbers stay numbers.
    assert "-35" in cells


def test_the_api_is_read_only_for_the_clinic_admin(client_for: Any, dosed: Any) -> None:
    admin = client_for("admin_a")
    stock = admin.get("/api/v1/register/stock").json()
    assert stock["count"] == 1 and stock["next"] is None
    assert stock["results"] == [
        {
            "product": dosed["product"].name,
            "lot": dosed["lot"].number,
            "expires_on": dosed["lot"].expires_on.isoformat(),
            "location": "Safe 1",
            "balance_mg": "1000",
            "drawn_out_mg": "0",
        }
    ]
    entries = admin.get("/api/v1/register/entries").json()
    assert [e["kind"] for e in entries["results"]] == ["receipt", "administration", "waste"]
    first_page = admin.get("/api/v1/register/entries?limit=2").json()
    assert [e["kind"] for e in first_page["results"]] == ["receipt", "administration"]
    assert first_page["count"] == 3 and "offset=2" in first_page["next"]
    assert client_for("clinician_a").get("/api/v1/register/stock").status_code == 404
    assert admin.post("/api/v1/register/stock").status_code == 405
    assert Entry.objects.count() == 3


def test_the_run_sheet_shows_the_panel_and_the_panel_offers_the_lot(
    client_for: Any, personas: Any, dosed: Any
) -> None:
    client = client_for("clinician_a")
    session = make_session(personas.a2, state="checked_in")
    sheet = client.get(f"/clinic/sessions/{session.public_id}/").content.decode()
    # The run-sheet carries the panel in its own response (no second request, no JavaScript needed).
    assert "Draw from the safe" in sheet and f"lot {dosed['lot'].number}" in sheet
    panel = client.get(f"/sessions/{session.public_id}/controlled-drugs/").content.decode()
    assert f"lot {dosed['lot'].number}" in panel and "Draw from the safe" in panel
    response = client.post(
        f"/sessions/{session.public_id}/controlled-drugs/draw",
        {"stock": f"{dosed['lot'].public_id}:{dosed['location'].public_id}", "units": "3"},
    )
    assert "holds 1000 mg" in response.content.decode()
