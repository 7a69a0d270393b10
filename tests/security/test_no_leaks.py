"""Lists, searches, exports and pages leak nothing (security.md #2).

Every GET route, per persona, is scanned for the canary strings planted in the names of the
patients that persona must not see. Routes come from the same table as the authorisation matrix.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.security.routes import ROUTES

CANARY = {"a1": "CanaryA1", "a2": "CanaryA2", "b1": "CanaryB1"}
FORBIDDEN = {
    "a1": {"a2", "b1"},
    "a2": {"a1", "b1"},
    "b1": {"a1", "a2"},
    "clinician_a": {"b1"},
    "admin_a": {"b1"},
    "clinician_b": {"a1", "a2"},
}
# The persona's own (allowed) target for object routes.
OWN_TARGET = {"a1": "a1", "a2": "a2", "b1": "b1", "clinician_a": "a1", "admin_a": "a2", "clinician_b": "b1"}

CASES = [(route, persona) for route in ROUTES if "GET" in route.methods for persona in FORBIDDEN]


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona"), CASES, ids=[f"{r.name}-{p}" for r, p in CASES])
def test_no_response_carries_another_patients_or_clinics_canary(
    route: Any, persona: str, personas: Any, client_for: Any
) -> None:
    target = getattr(personas, OWN_TARGET[persona]) if route.kwargs else None
    url = reverse(route.name, kwargs=route.kwargs(personas, target) if route.kwargs else None)
    client = client_for(persona)
    body = _body(client.get(url, follow=True))
    # Search must not widen what a list shows.
    if not route.kwargs:
        body += _body(client.get(url, {"q": "Canary"}, follow=True))
    leaked = [CANARY[other] for other in FORBIDDEN[persona] if CANARY[other] in body]
    assert leaked == [], f"{url} as {persona} shows {leaked}"
