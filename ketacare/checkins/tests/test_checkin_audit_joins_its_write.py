"""A check-in and its audit row are one write transaction; a refused or failed check-in is still audited.

The row saying "this patient wrote their record" commits with the check-in (docs/decisions/0016), and
when the check-in is refused, fails or races with a retry, the row is written on its own before the
answer leaves, as it was when every audit row had its own transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.audit import context
from ketacare.audit.models import AccessEvent
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.checkins.services import submission as submission_module
from ketacare.checkins.services.submission import NOT_GIVEN

pytestmark = pytest.mark.django_db

API = "/api/v1/me/checkins"


def _api(client: Client, key: str, mood: int = 5) -> Any:
    body = {"idempotency_key": key, "reports": [{"symptom_id": "nausea"}], "mood": mood}
    return client.post(API, json.dumps(body), content_type="application/json")


def _form(client: Client, key: str, mood: int = 5) -> Any:
    data = {
        "idempotency_key": key,
        "symptom": ["nausea"],
        "severity_nausea": "mild",
        "mood": str(mood),
        "note": "",
    }
    return client.post(reverse("checkins:checkin"), data)


SENDERS: dict[str, Callable[[Client, str, int], Any]] = {"api": _api, "form": _form}
# A stored check-in: the API answers with it, the form sends the browser to its answer page.
STORED = {"api": 201, "form": 303}


def _write_rows(patient: Any) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(
            patient_public_id=str(patient.public_id), action="write", object_type="patient"
        ).order_by("id")
    )


@pytest.mark.parametrize("via", SENDERS)
def test_the_audit_row_commits_in_the_check_ins_transaction(personas: Any, via: str) -> None:
    client = login(Client(), personas.a1.user)
    client.get("/healthz")  # the session's first stamps are written before the count
    outer = len(connection.atomic_blocks)  # the test's own transaction, if any
    writes: list[tuple[str, int | None]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            blocks = connection.atomic_blocks
            writes.append((sql[:60], id(blocks[outer]) if len(blocks) > outer else None))
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(spy):
        response = SENDERS[via](client, uuid.uuid4().hex, 5)
    assert response.status_code == STORED[via], response.content[:300]
    assert any("audit_accessevent" in sql for sql, _ in writes), writes
    assert any("checkins_symptomcheckin" in sql for sql, _ in writes), writes
    # Every write inside one transaction that the request opened: no write commits on its own.
    assert {block for _, block in writes} == {writes[0][1]} and writes[0][1] is not None, writes
    assert len(_write_rows(personas.a1)) == 1


@pytest.mark.parametrize("via", SENDERS)
def test_a_refused_check_in_is_still_audited(personas: Any, via: str) -> None:
    client = login(Client(), personas.a1.user)
    response = SENDERS[via](client, uuid.uuid4().hex, 99)
    assert response.status_code in (400, 422)
    assert not SymptomCheckin.objects.filter(patient=personas.a1).exists()
    rows = _write_rows(personas.a1)
    assert [(r.outcome, r.role) for r in rows] == [("granted", "patient")]


@pytest.mark.parametrize("via", SENDERS)
def test_a_check_in_whose_write_fails_is_still_audited(
    personas: Any, via: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the alert could not be stored")

    monkeypatch.setattr(submission_module, "_raise_alerts", broken)
    client = login(Client(), personas.a1.user)
    with pytest.raises(RuntimeError):
        SENDERS[via](client, uuid.uuid4().hex, 5)
    assert not SymptomCheckin.objects.filter(patient=personas.a1).exists()
    rows = _write_rows(personas.a1)
    assert [(r.outcome, r.method) for r in rows] == [("granted", "POST")]


def test_a_retry_answered_with_the_original_is_audited(personas: Any) -> None:
    client = login(Client(), personas.a1.user)
    key = uuid.uuid4().hex
    assert _api(client, key).status_code == 201
    assert _api(client, key).status_code == 200
    assert len(_write_rows(personas.a1)) == 2  # one per request
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 1


def test_a_check_in_that_loses_a_race_to_its_retry_is_still_audited(
    personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The retry commits between this request's read of the key and its insert: the insert hits the
    # unique constraint, its transaction rolls back with the audit row in it, and the row is written again.
    key = uuid.uuid4().hex
    validate = submission_module.validate_checkin

    def retry_wins(**kwargs: Any) -> None:
        validate(**kwargs)
        monkeypatch.setattr(submission_module, "validate_checkin", validate)  # the retry races once
        token = context.current.set(None)  # the other request, with its own audit context
        try:
            submit_checkin(
                patient=personas.a1,
                idempotency_key=key,
                # The API's report names no strength: not given, the same content as the request's.
                reports=[ReportIn("nausea", NOT_GIVEN)],
                mood=5,
                note="",
                now=timezone.now(),
            )
        finally:
            context.current.reset(token)

    monkeypatch.setattr(submission_module, "validate_checkin", retry_wins)
    client = login(Client(), personas.a1.user)
    response = _api(client, key)
    assert response.status_code == 200, response.content[:300]
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 1
    assert [r.path for r in _write_rows(personas.a1)] == [API]
