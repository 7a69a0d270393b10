"""Logs an operator can use and errors an operator can see, without patient data (docs/decisions/0018).

- :class:`JsonFormatter`: one JSON object per log line (``KETACARE_LOG_FORMAT=json``).
- :class:`RequestLogMiddleware`: the access log and the request metrics: request id, role (never a
  name), route pattern (never the path, which carries patient ids), status, duration.
- :func:`scrub_event`: Sentry's ``before_send``: bodies, cookies, query strings, most headers and the
  user's e-mail, name and address never leave the server.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

access_logger = logging.getLogger("ketacare.access")

REQUESTS = Counter("ketacare_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "ketacare_http_request_duration_seconds",
    "Time from request to response",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The attributes every LogRecord has; anything else on a record is an `extra=` field worth keeping.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def request_role(request: HttpRequest) -> str:
    """The role behind a request, for logs and metrics: never who, only what kind of user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    from ketacare.clinics.selectors import active_membership

    membership = active_membership(request)
    if membership is not None:
        return str(membership.role)
    return "patient" if hasattr(user, "patient") else "user"


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    # The pattern ("patients/<str:patient_id>/"), never the path with its ids.
    return "/" + str(match.route)


class RequestLogMiddleware:
    """One access-log line and one metric observation per request (outermost, so it times everything)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_s = time.perf_counter() - started
        route = _route(request)
        REQUESTS.labels(request.method or "", route, str(response.status_code)).inc()
        LATENCY.labels(route).observe(duration_s)
        if route != "/metrics":
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                route,
                response.status_code,
                duration_s * 1000,
                extra={
                    "request_id": response.get("X-Request-ID", ""),
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(duration_s * 1000, 1),
                    "role": request_role(request),
                },
            )
        return response


# Headers that carry no secret and no patient data; every other header is dropped from error reports.
_SAFE_HEADERS = {"user-agent", "content-type", "content-length", "accept", "x-request-id", "host"}


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry ``before_send``: remove request bodies, cookies, query strings and personal details.

    The path stays (it locates the bug); everything a patient or user typed, and who they are, goes.
    """
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        url = request.get("url")
        if isinstance(url, str):
            request["url"] = url.split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in _SAFE_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {k: v for k, v in user.items() if k == "id"}
    # Breadcrumbs of SQL and HTTP carry parameters and URLs with query strings.
    event.pop("breadcrumbs", None)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)  # local variables hold request data
    return event


def init_sentry(dsn: str, *, environment: str, release: str) -> None:
    """Start Sentry with PII off and the scrubber; only when a DSN is configured."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]
        integrations=[DjangoIntegration()],
    )
