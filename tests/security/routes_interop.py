"""Routes of the interop app (My records; the clinic admin's tokens, clients and webhooks) in the
authorisation matrix."""

from __future__ import annotations

import json
from typing import Any

from tests.security.routes import Route


def _own_token(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.interop.services import create_personal_token

    _, row = create_personal_token(
        user=target.user, name="matrix", scopes="api/read", days=1, now=timezone.now()
    )
    return {"token_id": str(row.public_id)}


def _new_client(personas: Any, target: Any) -> dict[str, Any]:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-384", parameters={"kid": "matrix"})
    return {
        "name": "Matrix EHR",
        "jwks": json.dumps({"keys": [key.as_dict(private=False)]}),
        "scopes": "system/*.rs",
    }


def _client_of_clinic_a(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.interop.services import register_backend_client

    client = register_backend_client(
        clinic=personas.a1.clinic, by=personas.admin_a, **{**_new_client(personas, target), "jwks": json.loads(
            _new_client(personas, target)["jwks"])}
    )  # fmt: skip
    return {"client_id": str(client.public_id)}


def _webhook_of_clinic_a(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.interop.webhooks import register_webhook

    hook = register_webhook(
        clinic=personas.a1.clinic,
        url="https://ehr.example.org/hooks",
        secret="m" * 40,
        events="",
        by=personas.admin_a,
    )
    return {"webhook_id": str(hook.public_id)}


ROUTES: list[Route] = [
    Route("interop:records", "patient"),
    Route("interop:records_fhir", "patient"),
    Route("interop:records_csv", "patient"),
    Route("interop:records_pdf", "patient"),
    # Personal access tokens: anyone signed in makes and lists their own; only the owner revokes one.
    Route(
        "api:create_token",
        "any",
        methods=("POST",),
        api=True,
        ok={"POST": 201},
        data=lambda personas, target: {"name": "matrix", "scopes": "api/read", "days": 1},
    ),
    Route("api:list_tokens", "any", api=True),
    Route("api:revoke_token", "self", methods=("DELETE",), api=True, ok={"DELETE": 204}, kwargs=_own_token),
    # Backend FHIR clients: the clinic admin of the active clinic.
    Route(
        "api:register_fhir_client", "admin", methods=("POST",), api=True, ok={"POST": 201}, data=_new_client
    ),
    Route("api:list_fhir_clients", "admin", api=True),
    # Alert webhooks: the clinic admin of the active clinic (a signed-in session to change them).
    Route(
        "api:register_webhook",
        "admin",
        methods=("POST",),
        api=True,
        ok={"POST": 201},
        data=lambda personas, target: {"url": "https://ehr.example.org/hooks", "secret": "m" * 40},
    ),
    Route("api:list_webhooks", "admin", api=True),
    Route(
        "api:disable_webhook",
        "admin",
        methods=("DELETE",),
        api=True,
        ok={"DELETE": 204},
        kwargs=_webhook_of_clinic_a,
    ),
    Route("api:list_webhook_deliveries", "admin", api=True, kwargs=_webhook_of_clinic_a),
    # The webhook pages (HTML): the clinic admin of the active clinic; the kwargs name an endpoint of
    # clinic A, so admin_a reaches it for every target and everyone else gets an audited 404.
    Route(
        "interop:webhooks",
        "admin",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda personas, target: {
            "url": "https://ehr.example.org/hooks",
            "secret": "m" * 40,
            "events": ["alert.created", "alert.escalated"],
        },
    ),
    Route("interop:webhook", "admin", kwargs=_webhook_of_clinic_a),
    Route(
        "interop:webhook_disable", "admin", methods=("POST",), ok={"POST": 302}, kwargs=_webhook_of_clinic_a
    ),
    Route(
        "api:revoke_fhir_client",
        "admin",
        methods=("DELETE",),
        api=True,
        ok={"DELETE": 204},
        kwargs=_client_of_clinic_a,
    ),
]
