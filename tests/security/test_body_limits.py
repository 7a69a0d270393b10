"""Every API write refuses a body that is too large (413) or too deeply nested (422) with the API's JSON
error, before anything parses it: never a 500 with a RecursionError (docs/security.md S4, S14)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings

from ketacare.api import api
from ketacare.lib.middleware import MAX_JSON_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db
# An id that names no row, the same on every run: pytest-xdist needs each worker to collect the
# same test ids, and the ids carry the path.
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def _write_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if method.upper() in ("POST", "PUT", "PATCH"):
                concrete = re.sub(r"\{[^}]+\}", UNKNOWN_ID, path)
                found.append((method.upper(), concrete))
    return sorted(found)


WRITES = _write_operations()


def test_the_api_has_write_operations_to_check() -> None:
    # Positive control: the parametrised tests below run over a real list.
    paths = {p for _, p in WRITES}
    assert any(p.endswith("/me/checkins") for p in paths) and any("/vitals" in p for p in paths)


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("persona", ["a1", "clinician_a", "anonymous"])
def test_deeply_nested_json_gets_a_422_naming_the_body(
    client_for: Any, method: str, path: str, persona: str
) -> None:
    body = "[" * 5000 + "]" * 5000
    response = client_for(persona).generic(method, path, body, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"] == [
        {"field": "body", "message": f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"}
    ]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_an_oversized_body_gets_a_json_413(client_for: Any, method: str, path: str) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"note": "x" * (limit + 10)})
    response = client_for("a1").generic(method, path, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert str(limit) in response.json()["detail"]


def test_an_ordinary_submission_still_goes_through(client_for: Any) -> None:
    response = client_for("a1").post(
        "/api/v1/me/journal",
        {"text": "A calm evening", "idempotency_key": "limits-1"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_the_depth_scan_ignores_brackets_inside_strings_and_counts_real_nesting() -> None:
    assert not json_depth_exceeds(json.dumps({"text": "[" * 1000}).encode(), 32)
    assert not json_depth_exceeds(b'{"a": [[["\\"]]]"]]]}', 32)
    assert json_depth_exceeds(b"[" * 33 + b"]" * 33, 32)
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32, 32)
