"""API fuzzing with schemathesis against the OpenAPI document (security.md #4).

Every operation of /api/v1/openapi.json is fuzzed as every persona (and anonymously), with valid
(positive) and invalid (negative) data generated from the document itself. For every response:

- no 5xx;
- a documented status has a body that conforms to its documented schema (and content type), and
  any other status is a 4xx with a JSON `detail` (the API's error shape);
- invalid input is rejected with a 4xx (schemathesis' negative-data check);
- no body carries a stack trace;
- the same holds with a NUL character appended to every string sent (PostgreSQL refuses NUL);
- a JSON body nested thousands of levels deep, or grown past the upload limit, gets the API's JSON
  error (422 or 413 with a `detail`), never a 500 from a parser that recursed.

The schema is loaded from the Django WSGI application, so a new operation is fuzzed as soon as
it is routed. Path parameters are sometimes the persona's own objects (their patient, an alert
and a session of that patient's clinic), so the authorised code paths run, not only 404s.

KETACARE_FUZZ_EXAMPLES raises the number of examples per operation, persona and mode for a
longer local run (default: a few, to keep the file under three minutes on SQLite).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from conftest import login

APPLICATION = get_wsgi_application()
# The session cookie is supplied per persona, so it is not generated (nor negated) as a parameter.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APPLICATION, config=CONFIG)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
PERSONAS = ("anonymous", "a1", "clinician_a", "admin_a", "clinician_b")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EXAMPLES = int(os.environ.get("KETACARE_FUZZ_EXAMPLES", "6"))
STACK_TRACE = re.compile(rb"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def no_stack_trace(ctx: Any, response: Any, case: Any) -> bool | None:
    """No body, whatever the status, carries a Python stack trace."""
    if STACK_TRACE.search(response.content or b""):
        raise AssertionError(f"{case.operation.label}: stack trace in a {response.status_code} body")
    return None


def undocumented_answers_are_plain_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """A status the document does not list (401, 404, 422 ...) is a 4xx with a JSON `detail`."""
    if str(response.status_code) in case.operation.responses.status_codes:
        return None
    assert 400 <= response.status_code < 500, f"{case.operation.label}: undocumented {response.status_code}"
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{case.operation.label}: {response.status_code} body is not JSON") from None
    assert isinstance(body, dict) and isinstance(body.get("detail"), str), (
        f"{case.operation.label}: {response.status_code} body has no `detail`: {body!r:.200}"
    )
    return None


CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    undocumented_answers_are_plain_errors,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
    no_stack_trace,
]


@dataclass(frozen=True)
class Caller:
    """How one persona reaches the API: cookies, headers and the ids of objects it may touch."""

    cookies: dict[str, str]
    headers: dict[str, str]
    own_ids: dict[str, str]


def _caller(personas: Any, name: str) -> Caller:
    from ketacare.alerts.models import Alert
    from tests.support.treatments import make_session

    # The patient whose objects this persona may touch (anonymous: any real one, still a 401).
    target = personas.b1 if name == "clinician_b" else personas.a1
    alert = Alert.objects.create(
        clinic_id=target.clinic_id,
        patient=target,
        source=Alert.Source.RED_FLAG_CHECKIN,
        severity=Alert.Severity.URGENT,
        title="Fuzz alert",
        assignee_id=target.primary_clinician_id,
    )
    session = make_session(target, state="observing")
    own_ids = {
        "patient_id": str(target.public_id),
        "alert_id": str(alert.public_id),
        "session_id": str(session.public_id),
    }
    csrf = get_random_string(32)
    cookies = {django_settings.CSRF_COOKIE_NAME: csrf}
    if name != "anonymous":
        client = login(Client(), personas.user(name))
        cookies[django_settings.SESSION_COOKIE_NAME] = client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value
    return Caller(cookies=cookies, headers={"X-CSRFToken": csrf}, own_ids=own_ids)


PLAIN = {"type": "string"}
DOCS_ONLY = {"title", "description", "default"}


def _negatable(operation: Any) -> set[str]:
    """Where invalid input can be generated: a JSON body, or a parameter with a type or constraint.

    A plain string (path ids, free-text filters) and a form body of plain strings accept anything
    the wire can carry, so there is no invalid value to send there.
    """
    raw = SCHEMA.raw_schema["paths"][operation.path][operation.method.lower()]
    found = {"body"} if "application/json" in raw.get("requestBody", {}).get("content", {}) else set()
    for parameter in raw.get("parameters", []):
        schema = {k: v for k, v in parameter.get("schema", {}).items() if k not in DOCS_ONLY}
        if schema != PLAIN:
            found.add(parameter["in"])
    return found


def _strategy(operation: Any, mode: GenerationMode, caller: Caller) -> Any:
    generated = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in operation.path_parameters]
    if not names or (mode == GenerationMode.NEGATIVE and not _negatable(operation) - {"path"}):
        return generated
    # Half the time the path names the persona's own objects, so authorised paths are fuzzed too.
    fixed = {name: caller.own_ids[name] for name in names if name in caller.own_ids}
    return st.one_of(generated, operation.as_strategy(generation_mode=mode, path_parameters=fixed))


def _with_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, dict):
        return {key: _with_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_nul(item) for item in value]
    return value


def _nul_variant(case: Any) -> Any:
    """The same request with a NUL character after every string it sends in path, query and body.

    PostgreSQL text refuses NUL, so each must be refused as input (or stored escaped), never reach
    the database raw; Hypothesis seldom draws one on its own in a few examples.
    """
    return schemathesis.Case(
        operation=case.operation,
        method=case.method,
        path=case.path,
        path_parameters=_with_nul(case.path_parameters),
        headers=case.headers.copy(),
        query=_with_nul(case.query),
        body=_with_nul(case.body),
        media_type=case.media_type,
    )


NESTING_LEVELS = 5000


def _raw_call(
    case: Any, caller: Caller, headers: dict[str, str], body: bytes, content_type: str = "application/json"
) -> Any:
    """Send ``body`` as the body of ``case``'s request (raw: no serializer could nest it this deep, and
    the WSGI transport drops a form field given as a list instead of repeating it)."""
    client = Client()
    for name, value in caller.cookies.items():
        client.cookies[name] = value
    response = client.generic(
        case.method, case.formatted_path, body, content_type=content_type, headers=headers
    )
    # Django's test client reconnects close_old_connections when it finishes; on PostgreSQL the next
    # request would then close the test's own connection. Keep it off, as _connections_kept_open does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    return response


FORM = "application/x-www-form-urlencoded"


def _form_wire(case: Any) -> list[tuple[str, str]] | None:
    """What a client puts on the wire for a form body holding a list or an object (each item, or each
    key, as the field sent again), or None when every value is plain. Schemathesis's WSGI transport
    drops such a field instead, so the request it sends is not the invalid one it generated."""
    if case.media_type != FORM or not isinstance(case.body, dict):
        return None
    if not any(isinstance(value, list | dict) for value in case.body.values()):
        return None
    return [
        (str(name), str(item))
        for name, value in case.body.items()
        for item in (value if isinstance(value, list | dict) else [value])
    ]


def _takes_json(operation: Any) -> bool:
    raw = SCHEMA.raw_schema["paths"][operation.path][operation.method.lower()]
    return "application/json" in raw.get("requestBody", {}).get("content", {})


def _json_body(case: Any) -> Any:
    # The generated body when it is JSON; an empty object when the case drew a form body or none.
    return case.body if case.media_type == "application/json" and isinstance(case.body, dict | list) else {}


def _nested_body(case: Any) -> bytes:
    """The generated JSON body buried under thousands of nested arrays and objects."""
    opening = "".join('{"x":' if level % 2 else "[" for level in range(NESTING_LEVELS))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(NESTING_LEVELS)))
    return (opening + json.dumps(_json_body(case)) + closing).encode()


def _oversized_body(case: Any) -> bytes:
    """The generated JSON body with padding beside its fields that takes it past the upload limit."""
    padding = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = _json_body(case)
    return json.dumps({**body, "padding": padding} if isinstance(body, dict) else [body, padding]).encode()


def _refused_as_json(response: Any, status: int, label: str) -> None:
    assert response.status_code == status, f"{label}: {response.status_code} instead of {status}"
    assert isinstance(json.loads(response.content).get("detail"), str), f"{label}: no JSON `detail`"


@contextmanager
def _connections_kept_open() -> Iterator[None]:
    """Keep the test's database connection across requests, as django.test.Client does.

    The WSGI handler closes connections when a request finishes; inside a test transaction on
    PostgreSQL that would close the very connection the test runs in.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(operation: Any, mode: GenerationMode, caller: Caller) -> None:
    headers = caller.headers if operation.method.upper() in UNSAFE else {}

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=_strategy(operation, mode, caller))
    def run(case: Any) -> None:
        # Only in negative mode: a list drawn where the schema allows one is a valid repeated field.
        wire = _form_wire(case) if mode == GenerationMode.NEGATIVE else None
        if wire is not None:
            names = [name for name, _ in wire]
            # Only a field sent twice is surely invalid (ambiguous: it must be refused); one item of a
            # list could be a valid value, so such a case says nothing.
            hypothesis.assume(len(names) != len(set(names)))
            repeated = _raw_call(case, caller, headers, urlencode(wire).encode(), content_type=FORM)
            assert repeated.status_code in (401, 403, 404, 409, 422), (
                f"{case.operation.label} repeated form field: {repeated}"
            )
            return
        response = case.call(cookies=caller.cookies, headers=headers)
        case.validate_response(response, checks=CHECKS)
        if mode == GenerationMode.POSITIVE:
            variant = _nul_variant(case)
            variant.validate_response(variant.call(cookies=caller.cookies, headers=headers), checks=CHECKS)
        if mode == GenerationMode.POSITIVE and _takes_json(operation):
            # Refused before authentication, parsing or validation: the same answer for every persona.
            nested = _raw_call(case, caller, headers, _nested_body(case))
            _refused_as_json(nested, 422, f"{case.operation.label} nested {NESTING_LEVELS} levels")
            oversized = _raw_call(case, caller, headers, _oversized_body(case))
            _refused_as_json(oversized, 413, f"{case.operation.label} past the upload limit")

    with _connections_kept_open():
        run()


# Negative mode only where the document gives something to violate (see `_negatable`).
CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or _negatable(operation)
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_fuzzed_requests_get_no_server_error_and_a_documented_answer(
    operation: Any, mode: GenerationMode, persona: str, prepared: Caller
) -> None:
    _fuzz(operation, mode, prepared)


def prepare_in_world(params: dict[str, Any]) -> tuple[str, Any] | None:
    """A persona's login and objects (an alert, a session under observation) are made once for every
    operation fuzzed as that persona (conftest `prepared`); each case's writes still roll back."""
    persona = params["persona"]
    return f"caller|{persona}", lambda personas: _caller(personas, persona)


def test_every_api_route_is_fuzzed() -> None:
    from ketacare.api import api

    documented = {
        (method.upper(), path) for path, item in api.get_openapi_schema()["paths"].items() for method in item
    }
    fuzzed = {(o.method.upper(), o.path) for o in OPERATIONS}
    assert documented == fuzzed
