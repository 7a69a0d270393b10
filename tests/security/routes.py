"""The expectation table of the authorisation matrix (security.md #1).

Every URL pattern (and every API operation) must have an entry here; a route without one
fails `test_every_route_has_an_expectation`. An entry says who the route is for and, when it
is about one patient, how to build its URL for a given target patient.

audience:
  "public"  anyone, signed in or not
  "any"     any signed-in user
  "staff"   staff of the active clinic (patients get 404)
  "admin"   the clinic admin of the active clinic (others 404)
  "patient" a patient, about themself (staff get 404)
  "record"  a patient about themself, or staff of that patient's clinic
  "staff_record"  staff of the patient's clinic only (patients get 404, even for themself)
  "staff_clinic"  an object of the target patient's clinic about no patient (a clinic-level alert):
                  answers as "staff_record"; its audit row names the clinic and no patient
  "support" a support person holding a live grant from their link (persona companion_a1); all others 404
  "self"    only the target patient's own user (their personal access token); everyone else 404
  "webhook" a third party's signed call (the SMS provider's X-Twilio-Signature): no persona holds the
            signature, so every one, signed in or not, gets 403 and nothing changes
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Route:
    name: str
    audience: str
    methods: tuple[str, ...] = ("GET",)
    # For object routes: target patient -> URL kwargs. None: no kwargs.
    kwargs: Callable[[Any, Any], dict[str, Any]] | None = None
    # Status on success per method; anything allowed but not listed defaults to 200.
    ok: dict[str, int] = field(default_factory=dict)
    # POST body builder: (personas, target patient) -> data
    data: Callable[[Any, Any], dict[str, Any]] | None = None
    api: bool = False
    # Status a signed-in user gets on a "public" route (the login page sends them home).
    ok_signed_in: int | None = None
    # Methods only a prescriber of the patient's clinic may use (clinical decisions): other staff of
    # that clinic get 403 and nothing is written; other clinics still get 404.
    prescriber_methods: tuple[str, ...] = ()


def patient_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    return {"patient_id": str(target.public_id)}


ROUTES: list[Route] = [
    Route("home", "any", ok={"GET": 302}),
    Route("healthz", "public"),
    Route("accounts:login", "public", ok_signed_in=302),
    Route("accounts:logout", "any", methods=("POST",), ok={"POST": 302}),
    Route("accounts:mfa", "any", ok={"GET": 302}),
    Route("clinics:switch", "staff", methods=("POST",), ok={"POST": 302}),
    Route("audit:report", "admin"),
    Route("audit:csv", "admin"),
    # Asks the queue to prepare the report as CSV (docs/decisions/0018), then shows its status page.
    Route("audit:export", "admin", methods=("POST",), ok={"POST": 302}),
    Route("patients:list", "staff"),
    Route("patients:detail", "staff_record", kwargs=patient_kwargs),
    Route("companion:home", "patient"),
    # The installable companion (docs/decisions/0020): manifest, service worker and offline page are
    # public (no patient data); the patient's own discharge instructions are theirs alone.
    Route("companion:manifest", "public"),
    Route("companion:service_worker", "public"),
    Route("companion:offline", "public"),
    Route("companion:instructions", "patient"),
    # API (names are ninja's "api:<operation function>")
    Route("api:me", "any", api=True),
    Route("api:list_patients", "staff", api=True),
    Route("api:get_patient", "record", api=True, kwargs=patient_kwargs),
    Route("api:openapi-json", "public", api=True),
    Route("api:openapi-view", "public", api=True),
    Route("api:api-root", "public", api=True, ok={"GET": 404}),
]


def _feature_routes() -> list[Route]:
    # Each feature declares its routes in tests/security/routes_<app>.py as `ROUTES: list[Route]`.
    import importlib
    import pathlib

    found: list[Route] = []
    for path in sorted(pathlib.Path(__file__).parent.glob("routes_*.py")):
        found += importlib.import_module(f"tests.security.{path.stem}").ROUTES
    return found


ROUTES += _feature_routes()
