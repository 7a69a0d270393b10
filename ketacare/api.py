"""The versioned JSON API (/api/v1/): one ninja router per app, session auth, OpenAPI docs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from ketacare.accounts.api import router as accounts_router
from ketacare.patients.api import router as patients_router

api = NinjaAPI(
    title="KetaCare API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    docs_url="/docs",
)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Name each offending field and what it allows; no stack traces.
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "payload")), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": "Invalid input", "errors": errors}, status=422)


api.add_router("", accounts_router)
api.add_router("", patients_router)
