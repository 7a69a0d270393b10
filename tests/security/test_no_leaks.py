"""Lists, searches, exports and pages leak nothing (docs/security.md S2).

Every GET route, per persona, is scanned for the canary strings planted in the names of the
patients that persona must not see. Routes come from the same table as the authorisation matrix.
A scan counts only for a page the persona reached with the status the matrix expects (200 for its
own pages): if logins broke and every page redirected to the login form, these tests fail instead of
scanning login pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.security.routes import ROUTES
from tests.security.test_authorisation_matrix import expected_status

CANARY = {"a1": "CanaryA1", "a2": "CanaryA2", "b1": "CanaryB1"}
FORBIDDEN = {
    "a1": {"a2", "b1"},
    "a2": {"a1", "b1"},
    "b1": {"a1", "a2"},
    "clinician_a": {"b1"},
    "admin_a": {"b1"},
    "clinician_b": {"a1", "a2"},
    "companion_a1": {"a2", "b1"},  # A1's day-of-treatment companion (docs/decisions/0020)
}
# The persona's own (allowed) target for object routes.
OWN_TARGET = {
    "a1": "a1",
    "a2": "a2",
    "b1": "b1",
    "clinician_a": "a1",
    "admin_a": "a2",
    "clinician_b": "b1",
    "companion_a1": "a1",
}


def prepare_in_world(params: dict[str, Any]) -> tuple[str, Any] | None:
    """A route's objects for a patient are built once for every persona whose own that patient is."""
    route, target = params["route"], OWN_TARGET[params["persona"]]
    if route.kwargs is None:
        return None
    return f"{ROUTES.index(route)}:{route.name}|{target}", lambda personas: route.kwargs(
        personas, getattr(personas, target)
    )


CASES = [(route, persona) for route in ROUTES if "GET" in route.methods for persona in FORBIDDEN]


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona"), CASES, ids=[f"{r.name}-{p}" for r, p in CASES])
def test_no_response_carries_another_patients_or_clinics_canary(
    route: Any, persona: str, personas: Any, client_for: Any, request: pytest.FixtureRequest
) -> None:
    url = reverse(route.name, kwargs=request.getfixturevalue("prepared") if route.kwargs else None)
    client = client_for(persona)
    expected = expected_status(route, persona, OWN_TARGET[persona] if route.kwargs else None, "GET")
    response = client.get(url)
    assert response.status_code == expected, (
        f"{url} as {persona}: {response.status_code}, expected {expected}"
    )
    body = _body(response)
    # Search must not widen what a list shows.
    if not route.kwargs:
        searched = client.get(url, {"q": "Canary"})
        assert searched.status_code == expected, f"{url}?q= as {persona}: {searched.status_code}"
        body += _body(searched)
    leaked = [CANARY[other] for other in FORBIDDEN[persona] if CANARY[other] in body]
    assert leaked == [], f"{url} as {persona} shows {leaked}"


@pytest.mark.django_db
def test_the_scan_reaches_real_pages_with_patient_data(personas: Any, client_for: Any) -> None:
    # Positive control for the scan itself: a clinician's patient list shows their own patients'
    # canaries, so the absence of another clinic's canary above means something.
    body = _body(client_for("clinician_a").get(reverse("patients:list")))
    assert CANARY["a1"] in body and CANARY["a2"] in body and CANARY["b1"] not in body
