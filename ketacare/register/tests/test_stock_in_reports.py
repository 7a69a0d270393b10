"""The inventory record and the inspection pack show stock as the stock page does: whole vials in the
safe, with their mg, apart from what is drawn out for sessions and what is left of a part-used vial.

Before, the PDFs read "DEMO-KET-01 ... 4965 | 9.93 vials" while the stock page showed "9 vials (4500 mg)"
in the safe and 465 mg out for a session: whoever counts the safe finds 9 vials, never 9.93.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ketacare.register import services
from ketacare.treatments.services import record_dose
from tests.support.register import add_nurse, receive, start_register
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

PDFS = ["register:inventory_pdf", "register:inspection_pdf"]


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _period(end: dt.date | None = None) -> dict[str, str]:
    end = end or timezone.now().date()
    return {"start": (end - dt.timedelta(days=30)).isoformat(), "end": end.isoformat()}


def _in_safe_cell(page: str) -> str:
    row = next(line for line in page.splitlines() if 'data-testid="in-safe"' in line)
    cell = re.search(r'<td><span data-testid="in-safe">.*?</td>', row)
    assert cell is not None, row
    return " ".join(re.sub(r"<[^>]+>", "", cell.group(0)).split())


@pytest.fixture
def dosing(personas: Any) -> None:
    """10 vials of 500 mg; one drawn for a session and 35 mg given from it: 4965 mg on the balance,
    465 mg out for the session, 9 whole vials in the safe."""
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=10, lot_number="DEMO-KET-01")
    session = make_session(personas.a1, state="checked_in")
    services.draw_stock(session=session, user=personas.clinician_a, lot=lot, location=location, units=1)
    now = timezone.now()
    record_dose(
        session=session,
        user=personas.clinician_a,
        dose_mg=35,
        lot_number=lot.number,
        started_at=now - dt.timedelta(minutes=40),
        ended_at=now,
    )
    row = services.balance_mg(lot, location), services.outstanding_mg(lot, location)
    assert row == (4965, 465)


@pytest.mark.parametrize("report", PDFS)
def test_a_report_counts_whole_vials_in_the_safe_and_the_open_draw_apart(
    client_for: Any, dosing: None, report: str
) -> None:
    admin = client_for("admin_a")
    page = admin.get(reverse("register:home")).content.decode()
    assert _in_safe_cell(page) == "9 vials (4,500 mg)"
    response = admin.get(reverse(report), _period())
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "In the safe Out for sessions (open draws) Register balance" in text
    assert "DEMO-KET-01" in text and "Safe 1 9 vials (4,500 mg) 465 mg 4,965 mg" in text
    assert "9.93" not in text and "4965" not in text


@pytest.mark.parametrize("report", PDFS)
def test_part_of_a_vial_in_the_safe_is_shown_in_mg_never_as_a_fraction(
    client_for: Any, personas: Any, report: str
) -> None:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=10)
    services.record_correction(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        witness=services.VerifiedWitness(user=add_nurse(personas.clinic_a), verified_at=timezone.now()),
        lot=lot,
        location=location,
        change_mg="-40.5",
        reason="spilled while drawing up",
    )
    admin = client_for("admin_a")
    expected = "9 vials (4,500 mg) + 459.5 mg part-used"
    assert _in_safe_cell(admin.get(reverse("register:home")).content.decode()) == expected
    text = _text(admin.get(reverse(report), _period()).content)
    assert f"Safe 1 {expected} 0 mg 4,959.5 mg" in text and "9.92" not in text, text


def test_the_inventory_record_of_a_past_period_holds_the_stock_of_its_last_day(
    client_for: Any, personas: Any
) -> None:
    location, product = start_register(personas)
    now = timezone.now()
    lot = services.receive_stock(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        product=product,
        lot_number="K-OLD",
        expires_on=now.date() + dt.timedelta(days=365),
        location=location,
        units=4,
        supplier="Example Pharma Wholesale",
        invoice_number="INV-9",
        received_on=now.date() - dt.timedelta(days=5),
        occurred_at=now - dt.timedelta(days=5),
    ).lot
    session = make_session(personas.a1, state="checked_in")
    services.draw_stock(session=session, user=personas.clinician_a, lot=lot, location=location, units=1)
    admin = client_for("admin_a")
    past = _text(
        admin.get(reverse("register:inventory_pdf"), _period(now.date() - dt.timedelta(days=3))).content
    )
    assert "Safe 1 4 vials (2,000 mg) 0 mg 2,000 mg" in past
    today = _text(admin.get(reverse("register:inventory_pdf"), _period()).content)
    assert "Safe 1 3 vials (1,500 mg) 500 mg 2,000 mg" in today
