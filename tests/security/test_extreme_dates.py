"""Dates at the ends of the calendar never reach a 500 (docs/security.md S14).

Every GET route of the authorisation matrix, as a persona that may open it, is asked with each date
filter the pages use set to year 1 and year 9999; the answer is the page (with the field named in an
error) or a 400/404/422, never a server error.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.security.routes import ROUTES
from tests.security.test_authorisation_matrix import expected_status

pytestmark = pytest.mark.django_db

DATE_PARAMS = ("start", "end", "date", "day", "date_from", "date_to", "from", "to", "week")
EXTREMES = ("0001-01-01", "9999-12-31")
OPENER = {"record": "clinician_a", "staff_record": "clinician_a", "staff": "clinician_a", "admin": "admin_a"}
CASES = [r for r in ROUTES if "GET" in r.methods and r.audience in (*OPENER, "patient", "any")]


@pytest.mark.parametrize("route", CASES, ids=[r.name for r in CASES])
def test_extreme_dates_in_any_date_filter_never_give_a_server_error(
    route: Any, personas: Any, client_for: Any
) -> None:
    persona = OPENER.get(route.audience, "a1")
    target = "a1" if route.kwargs else None
    url = reverse(route.name, kwargs=route.kwargs(personas, personas.a1) if route.kwargs else None)
    client = client_for(persona)
    plain = client.get(url)
    assert plain.status_code == expected_status(route, persona, target, "GET")  # the page is reachable
    for value in EXTREMES:
        response = client.get(url, dict.fromkeys(DATE_PARAMS, value))
        assert response.status_code < 500, f"{url} with dates {value}: {response.status_code}"


def test_the_timeline_names_the_date_field_it_refuses(personas: Any, client_for: Any) -> None:
    url = f"/clinic/patients/{personas.a1.public_id}/timeline/"
    body = client_for("clinician_a").get(url, {"end": "9999-12-31"}).content.decode()
    assert "end 9999-12-31 is outside the allowed range 1900-01-01 to 2199-12-31" in body
