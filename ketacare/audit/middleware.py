"""Sets the audit context for each request and backstops patient routes that logged nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ketacare.audit import context
from ketacare.audit.services import record_access_event

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def client_ip(request: HttpRequest) -> str:
    """Return the client address; X-Forwarded-For is trusted only behind a configured proxy."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class AuditContextMiddleware:
    """Gives every request an id and an audit context; writes a row if a patient route forgot to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ctx = context.AuditContext(
            request_id=request_id,
            ip_address=client_ip(request),
            method=request.method or "",
            path=request.path,
            request=request,
        )
        token = context.current.set(ctx)
        try:
            response = self.get_response(request)
            self._backstop(request, response, ctx)
        finally:
            context.current.reset(token)
        response["X-Request-ID"] = request_id
        return response

    @staticmethod
    def _backstop(request: HttpRequest, response: HttpResponse, ctx: context.AuditContext) -> None:
        # A route that names a patient but never went through an access_* function still leaves a
        # row, so a view cannot forget the audit trail.
        match = getattr(request, "resolver_match", None)
        if match is None or ctx.logged:
            return
        patient_id = match.kwargs.get("patient_id")
        if patient_id is None or not request.user.is_authenticated:
            return

        outcome = "granted" if response.status_code < 400 else "denied"
        action = "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"
        record_access_event(
            action=action, outcome=outcome, object_type="route", object_id=str(patient_id)[:64]
        )
