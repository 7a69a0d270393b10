"""The access log and the request metrics (docs/decisions/0018): request id, role (never a name), route
pattern (never the path, which carries patient ids), status, duration. The JSON formatter and the
Sentry scrubber are in ``ketacare.lib.observability`` (settings load them before the apps)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from ketacare.clinics.selectors import active_membership

access_logger = logging.getLogger("ketacare.access")

REQUESTS = Counter("ketacare_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "ketacare_http_request_duration_seconds",
    "Time from request to response",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def request_role(request: HttpRequest) -> str:
    """The role behind a request, for logs and metrics: never who, only what kind of user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
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
