"""What the register's pages say reads true and alike on every page.

- The entries page said "within a page oldest first" while its rows ran in the order written, so an
  infusion written when it was stopped ("09:15 Administered") sat below a later waste ("09:35
  Wasted"). The balances are computed in the order written, so the rows keep that order and the
  page says so, marking a row whose time is earlier than the row above.
- Amounts read "-40.50" beside "-35" and "20000": every page and PDF now shows at most two places,
  no trailing zeros and grouped thousands ("20,000", "-40.5"); the CSV stays plain for programs.
- The register's menu marks the page you are on and offers only the pages the role may open; the
  reports stay the administrator's (the matrix), answered to other staff like every admin-only page.
- The entries page chooses a lot (and a location) from a list; the pages keep the choice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import login
from ketacare.register import selectors, services
from tests.support.register import add_nurse, receive, start_register

pytestmark = pytest.mark.django_db


def _cells(page: str) -> list[list[str]]:
    """The ledger table's rows, each cell's text without tags."""
    body = page.split('data-testid="ledger"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    return [
        [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _correct(
    personas: Any, lot: Any, location: Any, change: str, *, at: dt.datetime | None = None, witness: Any = None
) -> None:
    services.record_correction(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        witness=services.VerifiedWitness(
            user=witness or add_nurse(personas.clinic_a), verified_at=timezone.now()
        ),
        lot=lot,
        location=location,
        change_mg=change,
        reason="spilled while drawing up",
        now=at,
    )


def test_the_entries_run_in_the_order_written_and_the_page_says_so(client_for: Any, personas: Any) -> None:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=4)
    # Written after the receipt, with an earlier time (as an infusion is, when it is stopped).
    _correct(personas, lot, location, "-40.5", at=timezone.now() - dt.timedelta(minutes=30))
    page = client_for("clinician_a").get(reverse("register:ledger")).content.decode()
    assert "oldest first" not in page
    assert "within a page in the order they were written, so each balance follows from the row above" in page
    rows = _cells(page)
    assert [r[3] for r in rows] == ["Received", "Correction (witnessed)"]
    assert "written after the row above" in rows[1][0] and "written after" not in rows[0][0]
    # Each balance follows from the row above: the order the balances were computed in.
    assert _amount(rows[0][5]) + _amount(rows[1][4]) == _amount(rows[1][5])


def test_amounts_read_alike_on_pages_and_pdfs_and_stay_plain_in_the_csv(
    client_for: Any, personas: Any
) -> None:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=40)
    _correct(personas, lot, location, "-40.50")
    admin = client_for("admin_a")
    rows = _cells(admin.get(reverse("register:ledger")).content.decode())
    assert [(r[4], r[5]) for r in rows] == [("20,000", "20,000"), ("-40.5", "19,959.5")]
    stock = admin.get(reverse("register:home")).content.decode()
    assert "39 vials (19,500 mg) + 459.5 mg part-used" in " ".join(re.sub(r"<[^>]+>", "", stock).split())
    assert "19,959.5 mg" in stock and "19959" not in stock
    today = timezone.now().date()
    period = {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat()}
    pdf = admin.get(reverse("register:extract_pdf"), period).content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "20,000 20,000" in text and "-40.5 19,959.5" in text and "-40.50" not in text
    exported = admin.get(reverse("register:extract_csv"), period).content.decode()
    table = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["Change (mg)"], r["Balance after (mg)"]) for r in table] == [
        ("20000", "20000"),
        ("-40.5", "19959.5"),
    ]


def _menu(page: str) -> list[tuple[str, bool]]:
    nav = re.search(r'<nav aria-label="Register" class="subnav">(.*?)</nav>', page, re.S)
    assert nav is not None
    return [
        (href, "aria-current" in attrs)
        for href, attrs in re.findall(r'<a href="([^"]+)"([^>]*)>', nav.group(1))
    ]


@pytest.mark.parametrize("role", ["admin_a", "clinician_a", "nurse"])
def test_the_menu_marks_the_page_you_are_on_and_each_link_opens_for_your_role(
    client_for: Any, personas: Any, role: str
) -> None:
    start_register(personas)
    client = login(Client(), add_nurse(personas.clinic_a)) if role == "nurse" else client_for(role)
    links = [href for href, _ in _menu(client.get(reverse("register:home")).content.decode())]
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, f"{role}: {href} answers {response.status_code}"
        assert [h for h, current in _menu(response.content.decode()) if current] == [href]
    reports = reverse("register:reports")
    assert (reports in links) == (role == "admin_a")


def test_a_prescriber_is_refused_the_reports_as_every_admin_only_page_is(
    client_for: Any, personas: Any
) -> None:
    start_register(personas)
    prescriber = client_for("clinician_a")
    for name in ("register:reports", "register:settings", "audit:report", "clinics:staff"):
        assert prescriber.get(reverse(name)).status_code == 404, name


def test_the_entries_page_chooses_a_lot_and_its_pages_keep_it(
    client_for: Any, personas: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "LEDGER_PAGE_ENTRIES", 3)
    location, product = start_register(personas)
    wanted = receive(personas, product, location, units=1, lot_number="K-WANTED")
    for n in range(3):
        receive(personas, product, location, units=1, lot_number=f"K-OTHER-{n}")
    witness = add_nurse(personas.clinic_a)
    for _ in range(3):
        _correct(personas, wanted, location, "-0.5", witness=witness)
    client = client_for("clinician_a")
    page = client.get(reverse("register:ledger")).content.decode()
    form = page.split('data-testid="ledger-filter"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{wanted.public_id}">' in form and 'name="lot"' in form
    chosen = client.get(reverse("register:ledger"), {"lot": str(wanted.public_id)}).content.decode()
    assert f'<option value="{wanted.public_id}" selected>' in chosen
    assert [r[1] for r in _cells(chosen)] == [f"{product.name} · K-WANTED"] * 3
    assert f"?lot={wanted.public_id}&amp;page=2" in chosen
    older = client.get(reverse("register:ledger"), {"lot": str(wanted.public_id), "page": 2}).content.decode()
    assert [(r[1], r[3]) for r in _cells(older)] == [(f"{product.name} · K-WANTED", "Received")]
