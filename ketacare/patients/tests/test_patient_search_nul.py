"""A patient search holding a NUL character is a 422 naming `q`, not a database error (security.md #14).

Found by the API fuzzer on PostgreSQL, whose text comparisons refuse NUL (a 500 before).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_search_is_refused_naming_q(personas: Any, client_for: Any) -> None:
    response = client_for("clinician_a").get("/api/v1/patients?q=Ali%00ce")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["q"]
    assert "NUL character" in response.json()["errors"][0]["message"]


def test_an_ordinary_search_still_finds_the_patient(personas: Any, client_for: Any) -> None:
    response = client_for("clinician_a").get("/api/v1/patients?q=Alice")
    assert response.status_code == 200
    assert [p["full_name"] for p in response.json()["results"]] == ["Alice CanaryA1"]
