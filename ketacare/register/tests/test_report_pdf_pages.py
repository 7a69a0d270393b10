"""A register PDF that runs over several pages keeps every table row whole on one page, and each page of
the entries table opens with its header row, so an inspector never reads half an entry under a page break.
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
from tests.support.register import start_register

pytestmark = pytest.mark.django_db

DELIVERIES = 60


@pytest.fixture
def long_register(personas: Any) -> None:
    """Deliveries whose detail wraps over an uneven number of lines, so some row meets each page break."""
    location, product = start_register(personas)
    today = timezone.now().date()
    for n in range(DELIVERIES):
        services.receive_stock(
            clinic=personas.clinic_a,
            user=personas.clinician_a,
            product=product,
            lot_number=f"ROWLOT{n:03d}",
            expires_on=today + dt.timedelta(days=365),
            location=location,
            units=1,
            supplier=f"ROWSTART{n:03d} " + "Example Pharma Wholesale Ltd " * (1 + n * 7 % 4 % 3),
            invoice_number=f"ROWEND{n:03d}",
            received_on=today,
        )


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("report", ["register:inspection_pdf", "register:extract_pdf"])
def test_no_register_entry_is_split_across_two_pages(
    client_for: Any, long_register: None, report: str
) -> None:
    today = timezone.now().date()
    period = {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat()}
    response = client_for("admin_a").get(reverse(report), period)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = _pages(response.content)
    assert len(pages) > 1, "the fixture must fill more than one page"
    for n in range(DELIVERIES):
        # The lot cell (the inspection pack's stock table lists the lot first) and both ends of the
        # detail cell of the entry's row.
        lot = [i for i, text in enumerate(pages) if f"ROWLOT{n:03d}" in text][-1:]
        starts = [i for i, text in enumerate(pages) if f"ROWSTART{n:03d}" in text]
        ends = [i for i, text in enumerate(pages) if f"ROWEND{n:03d}" in text]
        assert len(starts) == 1 and lot == starts == ends, f"entry {n} split over pages {lot + starts + ends}"
    # Every page of the entries table repeats its header row.
    for text in pages:
        if re.search(r"ROWSTART\d{3}", text):
            assert "Date and time Product Lot" in text
