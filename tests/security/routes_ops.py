"""Operations routes: metrics and readiness (public paths; metrics answers only its bearer token), the
clinic admin's e-mail page with its actions, and a prepared export's page and download, which only the
administrator who asked for it reaches (docs/decisions/0018)."""

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


def audit_export_of_admin_a(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.ops.exports import request_export, run_export

    export = request_export(
        user=personas.admin_a,
        kind="audit_csv",
        clinic=personas.clinic_a,
        params={},
        filename_stem="ketacare-audit",
    )
    assert run_export(export.pk) != "failed"
    return {"export_id": str(export.public_id)}


ROUTES: list[Route] = [
    Route("readyz", "public"),
    # Without KETACARE_METRICS_TOKEN (as in the test settings) the endpoint does not exist for anyone.
    Route("metrics", "public", ok={"GET": 404}),
    Route("ops:mail", "admin"),
    Route("ops:mail_test", "admin", methods=("POST",), ok={"POST": 302}),
    Route("ops:mail_retry", "admin", methods=("POST",), kwargs=failed_message_to_a1, ok={"POST": 302}),
    # Only its requester (admin_a, still an administrator of that clinic) reaches an export; the matrix's
    # "admin" audience is exactly that persona. Another administrator: tests/integration/test_prepared_exports.py.
    Route("ops:export", "admin", kwargs=audit_export_of_admin_a),
    Route("ops:export_download", "admin", kwargs=audit_export_of_admin_a),
]
