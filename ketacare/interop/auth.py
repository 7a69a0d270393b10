"""Bearer tokens on the JSON API (/api/v1/): a program acts as the user who made the token.

Checked before the cookie session, so a token request needs no CSRF token (nothing a browser sends on
its own carries it). ``api/read`` tokens may only read (GET, HEAD); ``api/write`` may also write. An
unknown, expired or revoked token is a 401 at once (audited as a failed login), never a fallback to
the session.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from ketacare.audit.services import record_access_event
from ketacare.interop.models import AccessToken
from ketacare.interop.services import digest, touch_token

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ProgramToken(HttpBearer):
    """A personal access token in ``Authorization: Bearer kcp_...``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        row = (
            AccessToken.objects.select_related("user")
            .filter(
                digest=digest(token.strip()),
                kind=AccessToken.Kind.PERSONAL,
                revoked_at__isnull=True,
                expires_at__gt=now,
                user__is_active=True,
            )
            .first()
            if token and len(token) <= 200
            else None
        )
        if row is None or row.user is None:
            record_access_event(
                action="login", outcome="failure", object_type="access-token", object_id="bearer"
            )
            raise AuthenticationError()
        if request.method not in SAFE_METHODS and "api/write" not in row.scopes.split():
            raise HttpError(403, "This token may only read (scope api/read).")
        request.user = row.user
        touch_token(row, now=now)
        return row.user


program_token = ProgramToken()
