"""The register's entries page shows every entry a page at a time, newest page first.

Within a page the entries run in the order written, so each "balance after" follows from the row above;
the links keep the lot and location chosen. Before, the page stopped at the latest 500 with no way to the
older ones.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.register.models import Entry
from ketacare.register.selectors import LEDGER_PAGE_ENTRIES
from tests.support.register import receive, start_register

pytestmark = pytest.mark.django_db

EXTRA = 5


@pytest.fixture
def many_entries(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lots = [
        receive(personas, product, location, units=1, lot_number=f"K-{n:03d}")
        for n in range(1, LEDGER_PAGE_ENTRIES + EXTRA + 1)
    ]
    assert Entry.objects.filter(clinic=personas.clinic_a).count() == LEDGER_PAGE_ENTRIES + EXTRA
    return {"location": location, "lots": lots}


def _lots_in_order(page: str) -> list[str]:
    return re.findall(r"· (K-\d{3})</td>", page)


def test_the_first_page_is_the_newest_entries_oldest_first_with_a_link_to_older(
    client_for: Any, many_entries: dict[str, Any]
) -> None:
    client = client_for("clinician_a")
    page = client.get(reverse("register:ledger")).content.decode()
    lots = _lots_in_order(page)
    assert len(lots) == LEDGER_PAGE_ENTRIES
    assert lots[0] == f"K-{EXTRA + 1:03d}" and lots[-1] == f"K-{LEDGER_PAGE_ENTRIES + EXTRA:03d}"
    assert f"Entries 1–{LEDGER_PAGE_ENTRIES} of {LEDGER_PAGE_ENTRIES + EXTRA}" in page
    assert 'rel="next">Older entries</a>' in page and "Newer entries" not in page


def test_the_older_page_holds_the_rest_and_keeps_the_location(
    client_for: Any, many_entries: dict[str, Any]
) -> None:
    client = client_for("clinician_a")
    location = many_entries["location"].public_id
    first = client.get(reverse("register:ledger"), {"location": location}).content.decode()
    assert f"?location={location}&amp;page=2" in first
    older = client.get(reverse("register:ledger"), {"location": location, "page": 2}).content.decode()
    assert _lots_in_order(older) == [f"K-{n:03d}" for n in range(1, EXTRA + 1)]
    assert 'rel="prev">Newer entries</a>' in older and "Older entries" not in older


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999"])
def test_a_page_number_that_is_not_one_shows_the_nearest_page_never_an_error(
    client_for: Any, many_entries: dict[str, Any], page: str
) -> None:
    response = client_for("clinician_a").get(reverse("register:ledger"), {"page": page})
    assert response.status_code == 200
    assert len(_lots_in_order(response.content.decode())) in (LEDGER_PAGE_ENTRIES, EXTRA)


def test_one_page_of_entries_shows_no_page_links(client_for: Any, personas: Any) -> None:
    location, product = start_register(personas)
    receive(personas, product, location, units=2)
    page = client_for("clinician_a").get(reverse("register:ledger")).content.decode()
    assert "K-LOT-1" in page and "ledger-pager" not in page
