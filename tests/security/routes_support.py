"""Routes of the support app (support people) in the authorisation matrix; persona companion_a1 is A1's
day-of-treatment companion, who holds no login."""

from __future__ import annotations

import uuid
from typing import Any

from tests.security.routes import Route
from tests.security.routes_messaging import _message_kwargs


def _link_kwargs(personas: Any, target: Any) -> dict[str, Any]:
    from django.utils import timezone

    from ketacare.support.services import invite_support_person

    invitation = invite_support_person(
        patient=target,
        name="Pat Supporter",
        email="",
        phone="+1 555 0101",
        role="supporter",
        day=None,
        now=timezone.now(),
    )
    return {"token": invitation.token}


ROUTES: list[Route] = [
    Route(
        "support:manage",
        "patient",
        methods=("GET", "POST"),
        data=lambda p, t: {
            "action": "invite",
            "name": "Sam",
            "email": "sam@example.org",
            "role": "supporter",
        },
    ),
    # A live link is a capability: whoever holds it is sent on to the shared page (and it is audited).
    Route("support:accept", "public", kwargs=_link_kwargs, ok={"GET": 302}),
    Route("support:page", "support"),
    Route(
        "support:checkin",
        "support",
        methods=("GET", "POST"),
        data=lambda p, t: {
            "idempotency_key": uuid.uuid4().hex,
            "symptom": "headache",
            "severity_headache": "mild",
        },
    ),
    # The care team records a patient's message as a check-in (docs/decisions/0020).
    Route(
        "support:message_checkin",
        "staff_record",
        methods=("GET", "POST"),
        kwargs=_message_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"symptom": "headache", "severity_headache": "mild"},
    ),
]
