"""The versioned JSON API (/api/v1/): one ninja router per app, token or session auth, OpenAPI docs.

Programs send a personal access token (``Authorization: Bearer``, no CSRF); the browser keeps its
cookie session (with CSRF). The OpenAPI document names every error answer with the shared error
schema, so a generated client parses them (docs/decisions/0019).
"""

from __future__ import annotations

import copy
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from ketacare.accounts.api import router as accounts_router
from ketacare.alerts.api import router as alerts_router
from ketacare.checkins.api import router as checkins_router
from ketacare.intake.api import router as intake_router
from ketacare.interop.api import router as interop_router
from ketacare.interop.auth import program_token
from ketacare.journal.api import router as journal_router
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.outcomes.api import router as outcomes_router
from ketacare.patients.api import router as patients_router
from ketacare.patients.apiutil import ApiErrorOut
from ketacare.questionnaires.api import router as questionnaires_router
from ketacare.register.api import router as register_router
from ketacare.treatments.api import router as treatments_router

# Every operation may answer these; each is the shared error body (ApiErrorOut).
ERROR_ANSWERS = {
    "401": "Not signed in, or the bearer token is unknown, expired or revoked",
    "403": "Signed in, but this role or token scope may not do this",
    "404": "No such object that you may reach (the same answer whether it exists or not)",
    "409": "Conflicts with the current state (a duplicate, or a transition no longer allowed)",
    "422": "Input refused: each offending field is named with what it allows",
}
ERROR_REF = {"$ref": "#/components/schemas/ApiErrorOut"}


class KetaCareAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document documents the error answers and has no dangling references."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        # A copy: the operations' openapi_extra dicts are shared between calls and must stay as written.
        schema = copy.deepcopy(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error = ApiErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error.pop("$defs", {}))
        components["ApiErrorOut"] = error
        _hoist_defs(schema.get("paths", {}), components)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                # ninja keys statuses by int; JSON keys are strings: one key per status, as strings.
                responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for status, description in ERROR_ANSWERS.items():
                    # Every error answer is the shared body (the exception handlers below write it),
                    # whatever an operation declared; its own description is kept.
                    answer = responses.setdefault(status, {"description": description})
                    answer["content"] = {"application/json": {"schema": ERROR_REF}}
        return schema


def _hoist_defs(node: Any, components: dict[str, Any]) -> None:
    """Move hand-written request schemas' ``$defs`` into components and point their references there."""
    if isinstance(node, dict):
        for name, definition in node.pop("$defs", {}).items():
            components.setdefault(name, definition)
            _hoist_defs(definition, components)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        for value in node.values():
            _hoist_defs(value, components)
    elif isinstance(node, list):
        for value in node:
            _hoist_defs(value, components)


api = KetaCareAPI(
    title="KetaCare API",
    version="1",
    urls_namespace="api",
    # The token first: a program's request is never held to the browser's CSRF check.
    auth=[program_token, django_auth],
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
    errors = [{"field": exc.field, "message": exc.message}]
    # A refused discharge names every unmet criterion (its code as the field), not only the first.
    errors += [{"field": code, "message": message} for code, message in getattr(exc, "unmet", [])]
    body = {"detail": exc.message, "errors": errors}
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
