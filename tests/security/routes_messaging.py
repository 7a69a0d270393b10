"""Routes of the messaging app (the patient's thread with the care team) in the authorisation matrix."""

from __future__ import annotations

import uuid
from typing import Any

from tests.security.routes import Route, patient_kwargs


def _message_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.messaging.services import send_patient_message

    sent = send_patient_message(
        patient=target,
        body="A question about my next session.",
        idempotency_key=uuid.uuid4().hex,
        now=timezone.now(),
    )
    return {"patient_id": str(target.public_id), "message_id": str(sent.message.public_id)}


ROUTES: list[Route] = [
    Route(
        "messaging:thread",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"idempotency_key": uuid.uuid4().hex, "body": "When is my next session?"},
    ),
    Route("messaging:inbox", "staff"),
    Route(
        "messaging:staff_thread",
        "staff_record",
        methods=("GET", "POST"),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"idempotency_key": uuid.uuid4().hex, "body": "Thursday at 10:00."},
    ),
    Route(
        "messaging:to_alert",
        "staff_record",
        methods=("POST",),
        kwargs=_message_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"severity": "contact_clinic"},
    ),
]
