"""Small cross-cutting middleware."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as _LoginRequired
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Mark every response to a signed-in user as not cacheable: it may hold patient data (docs/security.md S5)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            add_never_cache_headers(response)  # includes "no-store" (Django ≥ 4.x)
        return response


class LoginRequiredMiddleware(_LoginRequired):
    """Pages are private by default; the JSON API answers 401 itself instead of redirecting."""

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


# Deeper than any body the API documents (its deepest is a few levels), far below the depth at which a
# recursive parser or validator runs out of stack.
MAX_JSON_DEPTH = 32
_JSON_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than ``limit``, found without recursing."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in (b"]", b"}"):
            depth -= 1
    return False


def _api_error(status: int, field: str, message: str) -> JsonResponse:
    # The same shape as the API's own errors (ketacare.api), so clients handle one format.
    return JsonResponse({"detail": message, "errors": [{"field": field, "message": message}]}, status=status)


class ApiBodyLimitsMiddleware:
    """Refuse an API body that is too large (413) or too deeply nested (422) before anything parses it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _api_error(400, "Content-Length", "Content-Length must be a whole number of bytes")
            if limit and length > limit:
                return _api_error(
                    413, "body", f"the body is {length} bytes; at most {limit} bytes are accepted"
                )
            if "json" in (request.content_type or "") or not request.content_type:
                if json_depth_exceeds(request.body, MAX_JSON_DEPTH):
                    return _api_error(422, "body", f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
        return self.get_response(request)
