"""interop API router: personal access tokens (any signed-in user); backend FHIR clients and alert
webhooks (clinic admin).

Tokens and clients are made and revoked from a signed-in browser session only: a token never makes
another token, so a leaked token cannot outlive its own expiry.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_membership
from ketacare.interop.models import AccessToken, BackendClient, WebhookDelivery, WebhookEndpoint
from ketacare.interop.selectors import clinic_webhook, clinic_webhooks, webhook_deliveries
from ketacare.interop.services import (
    API_SCOPES,
    PERSONAL_TOKEN_MAX_DAYS,
    create_personal_token,
    register_backend_client,
    revoke_backend_client,
    revoke_personal_token,
)
from ketacare.interop.webhooks import disable_webhook, register_webhook
from ketacare.lib.errors import FieldError
from ketacare.lib.pagination import LinkedPagination, Mapped
from ketacare.patients.apiutil import ApiErrorOut

router = Router(tags=["interop"])


class TokenIn(Schema):
    name: str = Field(description="What the token is for (1-120 characters)", max_length=120)
    scopes: str = Field(description=f"Space-separated, any of: {' '.join(API_SCOPES)}", max_length=100)
    days: int = Field(30, ge=1, le=PERSONAL_TOKEN_MAX_DAYS, description="How long the token lasts")


class TokenOut(Schema):
    public_id: str
    name: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown once, never again (only its digest is kept)")


class ClientIn(Schema):
    name: str = Field(max_length=120)
    jwks: str = Field(
        description='The client public keys as JSON text: {"keys": [JWK, ...]} (RS384 or ES384)',
        max_length=20000,
    )
    scopes: str = Field(description="Space-separated SMART system scopes, e.g. system/*.rs", max_length=1000)


class ClientOut(Schema):
    public_id: str
    client_id: str
    name: str
    scopes: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


def _token_out(row: AccessToken) -> dict[str, Any]:
    return {
        "public_id": str(row.public_id),
        "name": row.name,
        "scopes": row.scopes.split(),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "last_used_at": row.last_used_at,
    }


def _client_out(row: BackendClient) -> dict[str, Any]:
    return {
        "public_id": str(row.public_id),
        "client_id": row.client_id,
        "name": row.name,
        "scopes": row.scopes,
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    }


def _session_only(request: HttpRequest) -> None:
    if "Authorization" in request.headers:
        raise HttpError(403, "Tokens and clients are managed from a signed-in session, not with a token.")


@router.post("/me/tokens", response={201: NewTokenOut, 403: ApiErrorOut}, url_name="create_token")
def create_token(request: AuthenticatedRequest, payload: Form[TokenIn]) -> Status[dict[str, Any]]:
    """Make a personal access token for a program (shown once); the program acts as you."""
    _session_only(request)
    raw, row = create_personal_token(
        user=request.user,
        name=payload.name,
        scopes=payload.scopes,
        days=payload.days,
        now=timezone.now(),
    )
    return Status(201, _token_out(row) | {"token": raw})


@router.get("/me/tokens", response=list[TokenOut], url_name="list_tokens")
@paginate(LinkedPagination)
def list_tokens(request: AuthenticatedRequest) -> Mapped[AccessToken, dict[str, Any]]:
    """Your personal access tokens, newest first (never the tokens themselves)."""
    rows = AccessToken.objects.filter(user=request.user, kind=AccessToken.Kind.PERSONAL).order_by(
        "-created_at", "-id"
    )
    return Mapped(rows, _token_out)


@router.delete("/me/tokens/{token_id}", response={204: None, 403: ApiErrorOut}, url_name="revoke_token")
def revoke_token(request: AuthenticatedRequest, token_id: str) -> Status[None]:
    """Revoke one of your tokens at once."""
    _session_only(request)
    row = AccessToken.objects.filter(
        public_id=_uuid(token_id), user=request.user, kind=AccessToken.Kind.PERSONAL
    ).first()
    if row is None:
        raise _refused("access-token", token_id)
    revoke_personal_token(user=request.user, token=row, now=timezone.now())
    return Status(204, None)


def _uuid(value: str) -> str:
    """The id as a UUID string; an id that is none matches no row (the all-zero UUID is never issued)."""
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.UUID(int=0))


def _refused(object_type: str, object_id: str) -> Http404:
    # A refused reach is audited like any other (the answer stays the same 404).
    record_access_event(action="write", outcome="denied", object_type=object_type, object_id=object_id[:64])
    return Http404("Not found")


def _admin_clinic(
    request: AuthenticatedRequest, object_id: str = "", *, object_type: str = "backend-client"
) -> Any:
    membership = active_membership(request)
    if membership is None or membership.role != "clinic_admin":
        raise _refused(object_type, object_id)
    return membership.clinic


@router.post(
    "/clinic/fhir-clients", response={201: ClientOut, 403: ApiErrorOut}, url_name="register_fhir_client"
)
def register_fhir_client(request: AuthenticatedRequest, payload: Form[ClientIn]) -> Status[dict[str, Any]]:
    """Register an EHR's backend client at the active clinic (clinic admin): its public keys and scopes."""
    clinic = _admin_clinic(request)
    _session_only(request)
    try:
        jwks = json.loads(payload.jwks)
    except ValueError:
        raise FieldError("jwks", 'jwks is JSON text: {"keys": [...]}.') from None
    row = register_backend_client(
        clinic=clinic, name=payload.name, jwks=jwks, scopes=payload.scopes, by=request.user
    )
    return Status(201, _client_out(row))


@router.get("/clinic/fhir-clients", response=list[ClientOut], url_name="list_fhir_clients")
@paginate(LinkedPagination)
def list_fhir_clients(request: AuthenticatedRequest) -> Mapped[BackendClient, dict[str, Any]]:
    """The active clinic's backend clients (clinic admin)."""
    clinic = _admin_clinic(request)
    return Mapped(BackendClient.objects.filter(clinic=clinic).order_by("-created_at", "-id"), _client_out)


@router.delete(
    "/clinic/fhir-clients/{client_id}", response={204: None, 403: ApiErrorOut}, url_name="revoke_fhir_client"
)
def revoke_fhir_client(request: AuthenticatedRequest, client_id: str) -> Status[None]:
    """Revoke a backend client and every token it holds (clinic admin)."""
    clinic = _admin_clinic(request, client_id)
    _session_only(request)
    row = BackendClient.objects.filter(clinic=clinic, public_id=_uuid(client_id)).first()
    if row is None:
        raise _refused("backend-client", client_id)
    revoke_backend_client(client=row, by=request.user, now=timezone.now())
    return Status(204, None)


# --- webhooks for alert events (clinic admin; docs/decisions/0019) ----------------------------------


class WebhookIn(Schema):
    url: str = Field(description="https:// address that receives the POSTs", max_length=500)
    secret: str = Field(
        description="Shared secret (32-200 characters) the deliveries are signed with (HMAC-SHA256)",
        max_length=200,
    )
    events: str = Field(
        "alert.created alert.escalated",
        description="Space-separated: alert.created, alert.escalated",
        max_length=100,
    )


class WebhookOut(Schema):
    public_id: str
    url: str
    events: list[str]
    created_at: dt.datetime
    disabled_at: dt.datetime | None = None


class WebhookDeliveryOut(Schema):
    public_id: str
    event: str
    alert_id: str
    state: str
    attempts: int
    last_status_code: int | None = None
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


def _webhook_out(row: WebhookEndpoint) -> dict[str, Any]:
    return {
        "public_id": str(row.public_id),
        "url": row.url,
        "events": list(row.events),
        "created_at": row.created_at,
        "disabled_at": row.disabled_at,
    }


def _delivery_out(row: WebhookDelivery) -> dict[str, Any]:
    waiting = row.state in (WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING)
    return {
        "public_id": str(row.public_id),
        "event": row.event,
        "alert_id": str(row.alert_public_id),
        "state": row.state,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at if waiting else None,
        "delivered_at": row.delivered_at,
    }


def _clinic_webhook(request: AuthenticatedRequest, webhook_id: str) -> WebhookEndpoint:
    clinic = _admin_clinic(request, webhook_id, object_type="webhook")
    row = clinic_webhook(clinic, webhook_id)
    if row is None:
        raise _refused("webhook", webhook_id)
    return row


@router.post("/clinic/webhooks", response={201: WebhookOut, 403: ApiErrorOut}, url_name="register_webhook")
def register_clinic_webhook(
    request: AuthenticatedRequest, payload: Form[WebhookIn]
) -> Status[dict[str, Any]]:
    """Register a receiver for the active clinic's new and escalated alerts (clinic admin, signed in)."""
    clinic = _admin_clinic(request, object_type="webhook")
    _session_only(request)
    row = register_webhook(
        clinic=clinic, url=payload.url, secret=payload.secret, events=payload.events, by=request.user
    )
    return Status(201, _webhook_out(row))


@router.get("/clinic/webhooks", response=list[WebhookOut], url_name="list_webhooks")
@paginate(LinkedPagination)
def list_clinic_webhooks(request: AuthenticatedRequest) -> Mapped[WebhookEndpoint, dict[str, Any]]:
    """The active clinic's webhooks, newest first (clinic admin); secrets are never shown."""
    clinic = _admin_clinic(request, object_type="webhook")
    return Mapped(clinic_webhooks(clinic), _webhook_out)


@router.delete(
    "/clinic/webhooks/{webhook_id}", response={204: None, 403: ApiErrorOut}, url_name="disable_webhook"
)
def disable_clinic_webhook(request: AuthenticatedRequest, webhook_id: str) -> Status[None]:
    """Stop a webhook (pending deliveries are dropped; the log stays)."""
    row = _clinic_webhook(request, webhook_id)
    _session_only(request)
    disable_webhook(endpoint=row, by=request.user, now=timezone.now())
    return Status(204, None)


@router.get(
    "/clinic/webhooks/{webhook_id}/deliveries",
    response=list[WebhookDeliveryOut],
    url_name="list_webhook_deliveries",
)
@paginate(LinkedPagination)
def list_webhook_deliveries(
    request: AuthenticatedRequest, webhook_id: str
) -> Mapped[WebhookDelivery, dict[str, Any]]:
    """The delivery log of one webhook, newest first: each event, its attempts and the last answer."""
    row = _clinic_webhook(request, webhook_id)
    # The log names alerts and patients by id: reading it is audited like any record read.
    record_access_event(
        action="read", outcome="granted", clinic=row.clinic, object_type="webhook-deliveries",
        object_id=str(row.public_id),
    )  # fmt: skip
    return Mapped(webhook_deliveries(row), _delivery_out)
