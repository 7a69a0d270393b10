"""Every route × every persona × own / other patient / other clinic object (docs/security.md S1, S6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ketacare.audit.models import AccessEvent
from tests.security.routes import ROUTES, Route

# companion_a1: A1's day-of-treatment companion (no login; the session their link gives them).
PERSONAS = ["anonymous", "a1", "a2", "b1", "clinician_a", "clinician_b", "admin_a", "companion_a1"]
SIGNED_OUT = ("anonymous", "companion_a1")
EXCLUDED_PREFIXES = ("static",)


def _all_route_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _all_route_names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def _unnamed_patterns(resolver: URLResolver | None = None) -> list[str]:
    missing = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            missing += _unnamed_patterns(entry)
        elif isinstance(entry, URLPattern) and not entry.name:
            missing.append(str(entry.pattern))
    return missing


def test_every_route_has_an_expectation() -> None:
    declared = {route.name for route in ROUTES}
    actual = {name for name in _all_route_names() if not name.startswith(EXCLUDED_PREFIXES)}
    assert actual - declared == set(), "routes without an entry in tests/security/routes.py"
    assert declared - actual == set(), "entries in routes.py for routes that no longer exist"
    assert _unnamed_patterns() == [], "every URL pattern needs a name to be in the matrix"


def test_every_api_operation_method_is_declared() -> None:
    from ketacare.api import api

    schema = api.get_openapi_schema()
    by_name = {r.name: r for r in ROUTES if r.api}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            name = (
                f"api:{operation['operationId'].split('_api_', 1)[-1]}"
                if "_api_" in operation["operationId"]
                else None
            )
            matches = [
                r
                for r in by_name.values()
                if r.methods and method.upper() in r.methods and reverse_pattern_matches(r, path)
            ]
            assert matches, (
                f"API operation {method.upper()} {path} ({name}) has no expectation with that method"
            )


def reverse_pattern_matches(route: Route, openapi_path: str) -> bool:
    # Compare the route's URL pattern with the OpenAPI path (parameters in braces).
    import re

    for entry in _api_patterns():
        if entry[0] == route.name:
            return (
                re.sub(
                    r"<[^:>]+:([^>]+)>|<([^>]+)>", lambda m: "{" + (m.group(1) or m.group(2)) + "}", entry[1]
                )
                == openapi_path
            )
    return False


def _api_patterns() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, prefix: str, ns: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern), f"{ns}{entry.namespace}:" if entry.namespace else ns)
            elif entry.name:
                out.append((f"{ns}{entry.name}", "/" + prefix + str(entry.pattern)))

    walk(get_resolver(), "", "")
    return out


def _is_staff_of(persona: str, target_clinic: str) -> bool:
    return {"clinician_a": "a", "admin_a": "a", "clinician_b": "b"}.get(persona) == target_clinic


def expected_status(route: Route, persona: str, target: str | None, method: str) -> int:
    """The status this persona must get; targets are persona names a1/a2/b1."""
    ok = route.ok.get(method, 200)
    denied_anonymous = 401 if route.api else 302
    if route.audience == "support":
        # The support person's own page: only a live grant in the session opens it.
        return ok if persona == "companion_a1" else 404
    if route.audience == "public":
        return route.ok_signed_in if route.ok_signed_in and persona not in SIGNED_OUT else ok
    if route.audience == "webhook":
        # Only the provider's signature opens it; a session, a login or a support grant does not.
        return 403
    if persona in SIGNED_OUT:
        # A support person holds no login: everywhere else they are anonymous.
        return denied_anonymous
    is_patient = persona in ("a1", "a2", "b1")
    if route.audience == "any":
        return ok
    if route.audience == "staff":
        if is_patient:
            return 404
        # Methods only a nurse or prescriber may use (recording): the clinic admin gets 403.
        return 403 if method in route.prescriber_methods and persona == "admin_a" else ok
    if route.audience == "admin":
        return ok if persona == "admin_a" else 404
    if route.audience == "patient":
        return ok if is_patient else 404
    assert target is not None
    target_clinic = target[0]
    if route.audience == "record":
        allowed = persona == target or _is_staff_of(persona, target_clinic)
        return ok if allowed else 404
    if route.audience == "self":
        # Something only its owner reaches (a personal access token): the target patient's own user.
        return ok if persona == target else 404
    if route.audience in ("staff_record", "staff_clinic"):
        if not _is_staff_of(persona, target_clinic):
            return 404
        # The personas' roles: clinician_a and clinician_b are prescribers, admin_a is not.
        return 403 if method in route.prescriber_methods and persona == "admin_a" else ok
    raise AssertionError(f"unknown audience {route.audience}")


def prepare_in_world(params: dict[str, Any]) -> tuple[str, Any] | None:
    """A route's objects for a target are built once and asked for by every persona and method
    (conftest `prepared`): each case still starts from the personas and that one build."""
    route, target = params["route"], params["target"]
    if route.kwargs is None or target is None:
        return None
    return f"{ROUTES.index(route)}:{route.name}|{target}", lambda personas: route.kwargs(
        personas, getattr(personas, target)
    )


CASES = [
    (route, persona, target, method)
    for route in ROUTES
    for method in route.methods
    for persona in PERSONAS
    for target in ((["a1", "a2", "b1"]) if route.kwargs else [None])
]


@pytest.mark.parametrize(
    ("route", "persona", "target", "method"),
    CASES,
    ids=[
        f"{r.name}{'-clinic' if r.audience == 'staff_clinic' else ''}-{m}-{p}-{t or 'none'}"
        for r, p, t, m in CASES
    ],
)
def test_route_answers_each_persona_as_expected(
    route: Route,
    persona: str,
    target: str | None,
    method: str,
    personas: Any,
    client_for: Any,
    request: pytest.FixtureRequest,
) -> None:
    client = client_for(persona)
    target_patient = getattr(personas, target) if target else None
    url = reverse(route.name, kwargs=request.getfixturevalue("prepared") if route.kwargs else None)
    data = route.data(personas, target_patient) if route.data else {}
    response = (
        client.generic(method, url, data=_encode(data), content_type="application/x-www-form-urlencoded")
        if method != "GET"
        else client.get(url)
    )
    expected = expected_status(route, persona, target, method)
    if persona in SIGNED_OUT and not route.api and expected == 302 and route.audience != "public":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected, (
            f"{method} {url} as {persona}: {response.status_code}, expected {expected}"
        )
    if target_patient is not None and persona not in SIGNED_OUT:
        # docs/security.md S6: exactly one audit row for this request about this access.
        rows = AccessEvent.objects.filter(request_id=response["X-Request-ID"]).exclude(
            action__in=["login", "logout", "mfa"]
        )
        if expected == 403:
            # A role refusal on a record the user may open: the access and the refused action.
            rows = rows.filter(outcome="denied")
        assert rows.count() == 1, f"{rows.count()} audit rows for {method} {url} as {persona}"
        row = rows.get()
        assert row.outcome == ("granted" if expected < 400 else "denied")
        if expected < 400 and route.audience in ("record", "staff_record"):
            # The row names whose record was reached (a patient of the target's clinic), so that
            # clinic can see who looked.
            from ketacare.patients.models import Patient

            named = Patient.objects.filter(public_id=row.patient_public_id or None).first()
            assert named is not None and named.clinic_id == target_patient.clinic_id, (
                f"{method} {url} as {persona}: audit row names patient {row.patient_public_id!r}"
            )
        if expected < 400 and route.audience == "staff_clinic":
            # Something of the clinic about no patient: the row names the target's clinic and no patient.
            assert row.patient_public_id == "", f"{method} {url} as {persona}: names a patient"
            assert row.clinic_public_id == str(target_patient.clinic.public_id), (
                f"{method} {url} as {persona}: audit row names clinic {row.clinic_public_id!r}"
            )


def _encode(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)
