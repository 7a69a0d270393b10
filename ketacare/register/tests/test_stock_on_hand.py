"""The stock table says what a count of the safe finds, apart from what is drawn out for sessions.

Before, it showed the register balance as "4965 mg (9.93 vials)" beside "Drawn for sessions 465 mg",
while a count straight afterwards expected 9 vials: nobody has 9.93 vials in a safe.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.register import services
from tests.support.register import receive, start_register
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_an_open_draw_is_out_of_the_safe_and_still_on_the_balance(personas: Any, client_for: Any) -> None:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=10)
    session = make_session(personas.a1, state="checked_in")
    services.draw_stock(session=session, user=personas.clinician_a, lot=lot, location=location, units=1)
    page = client_for("clinician_a").get(reverse("register:home")).content.decode()
    row = next(line for line in page.splitlines() if 'data-testid="in-safe"' in line)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    in_safe = re.search(r'data-testid="in-safe">(.*?)</span>', row)
    assert in_safe is not None and in_safe.group(1) == "9 vials (4,500 mg)"
    assert "500 mg" in cells and "5,000 mg" in cells  # out for the session; the register's balance
    assert "9.93" not in page
