"""Operations routes: metrics and readiness (public paths; metrics answers only its bearer token) and the
clinic admin's e-mail page with its actions (docs/decisions/0018)."""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route


def failed_message_to_a1(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.ops.models import OutboundEmail

    row = OutboundEmail.objects.create(
        subject="s",
        body="b",
        from_email="x@example.org",
        to=[personas.a1.user.email],
        recipient=personas.a1.user.email.lower(),
        state=OutboundEmail.State.FAILED,
        next_attempt_at=timezone.now(),
    )
    return {"message_id": str(row.public_id)}


ROUTES: list[Route] = [
    Route("readyz", "public"),
    # Without KETACARE_METRICS_TOKEN (as in the test settings) the endpoint does not exist for anyone.
    Route("metrics", "public", ok={"GET": 404}),
    Route("ops:mail", "admin"),
    Route("ops:mail_test", "admin", methods=("POST",), ok={"POST": 302}),
    Route("ops:mail_retry", "admin", methods=("POST",), kwargs=failed_message_to_a1, ok={"POST": 302}),
]
