"""Helpers for the patient submission endpoints: patient-only access and body parsing after it.

The body is parsed inside the view, after the role check, so that a staff member gets the same 404
whatever they send (ninja would otherwise answer 400/422 before the view runs). JSON is the API's
format; a form-encoded body is accepted as well. The OpenAPI document still describes the JSON body.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import Http404, HttpRequest
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticError

from ketacare.patients.selectors import access_patient

S = TypeVar("S", bound=Schema)


def own_patient(request: HttpRequest, *, action: str) -> Any:
    """The signed-in patient's own record (audited); anyone else gets a 404."""
    if not hasattr(request.user, "patient"):
        raise Http404("Not found")
    return access_patient(request.user, request.user.patient.public_id, action=action)


def parse_payload(request: HttpRequest, schema: type[S]) -> S:
    """Validate the JSON (or form) body against ``schema``; the Idempotency-Key header fills the key."""
    content_type = request.content_type or ""
    data: Any
    if content_type.startswith("application/json") or not content_type:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError([{"loc": ("body",), "msg": "body is not valid JSON"}]) from None
    else:
        data = {k: v if len(v) > 1 else v[0] for k, v in request.POST.lists()}
    if not isinstance(data, dict):
        raise ValidationError([{"loc": ("body",), "msg": "body must be a JSON object"}])
    header_key = request.headers.get("Idempotency-Key")
    if header_key and not data.get("idempotency_key"):
        data["idempotency_key"] = header_key
    try:
        return schema.model_validate(data)
    except PydanticError as error:
        raise ValidationError(
            [{"loc": tuple(e["loc"]), "msg": e["msg"]} for e in error.errors(include_url=False)]
        ) from None


def body_doc(schema: type[Schema]) -> dict[str, Any]:
    """openapi_extra describing the JSON request body and the optional Idempotency-Key header."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
                "description": "Same key, same result: a retry returns the original row (or use the body field).",
            }
        ],
    }
