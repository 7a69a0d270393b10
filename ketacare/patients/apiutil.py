"""Helpers for the API's record endpoints: patient-only access, body parsing after it, the error shape.

The body is parsed inside the view, after the role check, so that a staff member gets the same 404
whatever they send (ninja would otherwise answer 400/422 before the view runs). JSON is the API's
format; a form-encoded body is accepted as well. The OpenAPI document still describes the JSON body.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import Http404, HttpRequest
from ninja import Schema, Status
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticError

from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.patients.selectors import access_patient

S = TypeVar("S", bound=Schema)
T = TypeVar("T")


class FieldErrorOut(Schema):
    """One refused input: the field it names and what the field allows."""

    field: str
    message: str


class ApiErrorOut(Schema):
    """The API's error answer (``ketacare.api``): a summary, and for refused input each field named."""

    detail: str
    errors: list[FieldErrorOut] = []


def submission_responses(out: type[Schema]) -> dict[int, Any]:
    """The documented answers of an idempotent submission: created, a retry's original, or refused input."""
    return {201: out, 200: out, 422: ApiErrorOut}


def submitted(row: T, created: bool) -> Status[T]:
    """201 with the row this request created, or 200 with the original a retry of its key stored."""
    return Status(201 if created else 200, row)


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
    nul = _nul_path(data)
    if nul is not None:
        # PostgreSQL text refuses NUL; refuse it here with the field named (as the forms do).
        name = ".".join(str(p) for p in nul) or "body"
        raise ValidationError(
            [{"loc": ("body", *nul), "msg": f"{name} contains a NUL character, which is not allowed"}]
        )
    header_key = request.headers.get("Idempotency-Key")
    if header_key is not None and "\x00" in header_key:
        raise ValidationError(
            [{"loc": ("Idempotency-Key",), "msg": "Idempotency-Key contains a NUL character"}]
        )
    if header_key is not None and len(header_key) > IDEMPOTENCY_KEY_MAX_CHARS:
        # Checked even when the body carries the key: a header the document bounds is never ignored.
        raise ValidationError(
            [
                {
                    "loc": ("Idempotency-Key",),
                    "msg": f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX_CHARS} characters",
                }
            ]
        )
    # The header stands in for an absent body key only; an empty body key is invalid like any other.
    if header_key and "idempotency_key" not in data:
        data["idempotency_key"] = header_key
    try:
        return schema.model_validate(data)
    except PydanticError as error:
        raise ValidationError(
            [{"loc": tuple(e["loc"]), "msg": e["msg"]} for e in error.errors(include_url=False)]
        ) from None


def _nul_path(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where the first NUL character sits in a parsed JSON value (a key or a string), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Any = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key.replace("\x00", "\\x00"))
        found = _nul_path(item, (*path, key))
        if found is not None:
            return found
    return None


def body_doc(schema: type[Schema]) -> dict[str, Any]:
    """openapi_extra describing the JSON request body and the optional Idempotency-Key header."""
    body_schema = schema.model_json_schema()
    key = body_schema.get("properties", {}).get("idempotency_key")
    if key is not None:
        # Either the body field or the header carries the key, so the body field is not required.
        key["description"] = "required unless the Idempotency-Key header is sent"
        required = [name for name in body_schema.get("required", []) if name != "idempotency_key"]
        if required:
            body_schema["required"] = required
        else:
            body_schema.pop("required", None)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_CHARS},
                "description": "Same key, same result: a retry returns the original row (or use the body field).",
            }
        ],
    }
