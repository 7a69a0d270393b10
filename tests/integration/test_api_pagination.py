"""Every list of the JSON API comes a page at a time with a ``next`` link (docs/decisions/0019)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import login
from ketacare.api import api
from ketacare.checkins.models import SymptomCheckin

pytestmark = pytest.mark.django_db

# The register's lists (ketacare/register, decision 0021) are that app's to page; until they are, they
# are the only bare arrays the document may hold.
NOT_YET_PAGED: set[str] = set()


def _schema(document: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else ref_or_schema


def test_every_list_in_the_document_is_a_page_with_a_next_link() -> None:
    document = api.get_openapi_schema()
    paged = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "200" not in get["responses"]:
            continue
        body = _schema(document, get["responses"]["200"]["content"]["application/json"]["schema"])
        if path in NOT_YET_PAGED:
            continue
        assert body.get("type") != "array", f"{path} answers a bare list"
        if "results" in body.get("properties", {}):
            assert "next" in body["properties"] and "count" in body["properties"], path
            params = {p["name"] for p in get.get("parameters", [])}
            assert {"limit", "offset"} <= params or "page" in params, path
            paged.append(path)
    assert len(paged) >= 10


def test_check_ins_are_no_longer_capped_and_the_next_links_walk_them_all(personas: Any) -> None:
    now = timezone.now()
    SymptomCheckin.objects.bulk_create(
        SymptomCheckin(
            clinic=personas.a1.clinic,
            patient=personas.a1,
            submitted_at=now - dt.timedelta(hours=n),
            idempotency_key=f"page-{n}",
            triage_level=SymptomCheckin.TriageLevel.EXPECTED,
        )
        for n in range(130)
    )
    client = login(Client(), personas.a1.user)
    url: str | None = "/api/v1/me/checkins?limit=50"
    seen: list[str] = []
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        body = page.json()
        assert body["count"] == 130
        seen += [c["public_id"] for c in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 130


def test_a_page_past_the_end_is_empty_and_has_no_next(personas: Any) -> None:
    client = login(Client(), personas.clinician_a)
    body = client.get("/api/v1/alerts/?offset=500").json()
    assert body["results"] == [] and body["next"] is None


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=201", "limit"), ("offset=-1", "offset")]
)
def test_page_bounds_are_refused_naming_the_field(personas: Any, query: str, field: str) -> None:
    client = login(Client(), personas.clinician_a)
    answer = client.get(f"/api/v1/alerts/?{query}")
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_patient_list_names_its_next_page(personas: Any, settings: Any) -> None:
    settings.PAGE_SIZE = 1
    client = login(Client(), personas.clinician_a)
    first = client.get("/api/v1/patients?sort=name").json()
    assert first["count"] == 2 and first["next"].endswith("page=2")
    second = client.get(first["next"]).json()
    assert second["next"] is None
    assert {first["results"][0]["public_id"], second["results"][0]["public_id"]} == {
        str(personas.a1.public_id),
        str(personas.a2.public_id),
    }
