"""Personal access tokens on the JSON API: scoped, expiring, revocable, audited, never wider than their user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AccessEvent
from ketacare.interop.models import AccessToken
from ketacare.interop.services import create_personal_token

pytestmark = pytest.mark.django_db


def _bearer(user: Any, scopes: str = "api/read", days: int = 1) -> tuple[Client, AccessToken]:
    raw, row = create_personal_token(user=user, name="script", scopes=scopes, days=days, now=timezone.now())
    # enforce_csrf_checks: a token request must pass without any CSRF token.
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}"), row


def test_a_patient_token_reads_only_that_patient(personas: Any) -> None:
    client, _ = _bearer(personas.a1.user)
    assert client.get(f"/api/v1/patients/{personas.a1.public_id}").status_code == 200
    assert client.get(f"/api/v1/patients/{personas.a2.public_id}").status_code == 404
    assert client.get(f"/api/v1/patients/{personas.b1.public_id}").status_code == 404
    row = AccessEvent.objects.filter(outcome="granted", patient_public_id=str(personas.a1.public_id)).last()
    assert row is not None and row.user_email == personas.a1.user.email  # the token acts as its user


def test_a_staff_token_never_reads_another_clinic(personas: Any) -> None:
    client, _ = _bearer(personas.clinician_a)
    assert client.get(f"/api/v1/patients/{personas.a1.public_id}").status_code == 200
    assert client.get(f"/api/v1/patients/{personas.b1.public_id}").status_code == 404


def test_a_read_token_cannot_write_and_a_write_token_needs_no_csrf(personas: Any) -> None:
    reader, _ = _bearer(personas.a1.user, "api/read")
    body = {"idempotency_key": "t1", "mood": 6}
    assert reader.post("/api/v1/me/checkins", body, content_type="application/json").status_code == 403
    writer, _ = _bearer(personas.a1.user, "api/write")
    assert writer.post("/api/v1/me/checkins", body, content_type="application/json").status_code == 201


def test_expired_revoked_and_unknown_tokens_are_refused_and_audited(personas: Any) -> None:
    client, row = _bearer(personas.a1.user)
    row.expires_at = timezone.now() - dt.timedelta(seconds=1)
    row.save(update_fields=["expires_at"])
    assert client.get("/api/v1/me").status_code == 401
    client, row = _bearer(personas.a1.user)
    session = Client()
    session.force_login(personas.a1.user)
    assert session.delete(f"/api/v1/me/tokens/{row.public_id}").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    stranger = Client(HTTP_AUTHORIZATION="Bearer kcp_nothing")
    assert stranger.get("/api/v1/me").status_code == 401
    assert (
        AccessEvent.objects.filter(action="login", outcome="failure", object_type="access-token").count() == 3
    )


def test_a_token_cannot_make_or_revoke_tokens(personas: Any) -> None:
    client, row = _bearer(personas.a1.user, "api/write")
    made = client.post("/api/v1/me/tokens", {"name": "more", "scopes": "api/write", "days": 365})
    assert made.status_code == 403
    assert client.delete(f"/api/v1/me/tokens/{row.public_id}").status_code == 403
    assert AccessToken.objects.filter(user=personas.a1.user).count() == 1


def test_a_token_is_shown_once_and_stored_as_a_digest(personas: Any) -> None:
    session = Client()
    session.force_login(personas.a1.user)
    made = session.post("/api/v1/me/tokens", {"name": "script", "scopes": "api/read", "days": 7})
    assert made.status_code == 201, made.content
    raw = made.json()["token"]
    row = AccessToken.objects.get(public_id=made.json()["public_id"])
    assert raw not in row.digest and len(row.digest) == 64
    assert "token" not in session.get("/api/v1/me/tokens").json()["results"][0]
    too_long = session.post("/api/v1/me/tokens", {"name": "x", "scopes": "api/read", "days": 366})
    assert too_long.status_code == 422
