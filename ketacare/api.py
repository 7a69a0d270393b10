"""The versioned JSON API (/api/v1/): one ninja router per app, session auth, OpenAPI docs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from ketacare.accounts.api import router as accounts_router
from ketacare.alerts.api import router as alerts_router
from ketacare.checkins.api import router as checkins_router
from ketacare.intake.api import router as intake_router
from ketacare.interop.api import router as interop_router
from ketacare.journal.api import router as journal_router
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.outcomes.api import router as outcomes_router
from ketacare.patients.api import router as patients_router
from ketacare.questionnaires.api import router as questionnaires_router
from ketacare.register.api import router as register_router
from ketacare.treatments.api import router as treatments_router

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
        {
            "field": ".".join(
                str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "payload")
            ),
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": "Invalid input", "errors": errors}, status=422)


@api.exception_handler(FieldError)
def refused(request: HttpRequest, exc: FieldError) -> HttpResponse:
    # Every service's refusal, answered alike: the field and the rule, no stack trace.
    status = 409 if isinstance(exc, ConflictError) else 403 if isinstance(exc, NotPermitted) else 422
    body = {"detail": exc.message, "errors": [{"field": exc.field, "message": exc.message}]}
    return api.create_response(request, body, status=status)


api.add_router("", accounts_router)
api.add_router("", patients_router)
api.add_router("", alerts_router)
api.add_router("", intake_router)
api.add_router("", treatments_router)
api.add_router("", checkins_router)
api.add_router("", questionnaires_router)
api.add_router("", journal_router)
api.add_router("", interop_router)
api.add_router("", outcomes_router)
api.add_router("", register_router)
