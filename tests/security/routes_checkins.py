"""Routes of the checkins app in the authorisation matrix."""

from __future__ import annotations

import uuid
from typing import Any

from tests.security.routes import Route, patient_kwargs


def _own_result(personas: Any, target: Any) -> dict[str, Any]:
    """A check-in the target patient sent (through the service the form uses): its answer page's kwargs."""
    from django.utils import timezone

    from ketacare.checkins.services import submit_checkin

    outcome = submit_checkin(
        patient=target,
        idempotency_key=uuid.uuid4().hex,
        reports=[],
        mood=6,
        note="",
        now=timezone.now(),
    )
    return {"checkin_id": str(outcome.checkin.public_id)}


ROUTES: list[Route] = [
    # A sent check-in is stored, then the browser is sent to its answer page (Post/Redirect/Get).
    Route(
        "checkins:checkin",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 303},
        data=lambda personas, target: {"idempotency_key": uuid.uuid4().hex, "mood": "6", "action": "submit"},
    ),
    # The answer to one sent check-in (the emergency screen for a red flag): its own patient only
    # (staff read check-ins on the staff check-ins page); anyone else gets a 404 with a denied row.
    Route("checkins:result", "self", kwargs=_own_result),
    Route(
        "checkins:preparation",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"item": "ride_home"},
    ),
    Route("checkins:staff_checkins", "staff_record", kwargs=patient_kwargs),
    # A clinician closes an open symptom; without a valid episode it only goes back to the list.
    Route(
        "checkins:staff_close_episode",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
    ),
    # "Is it gone?": the patient's own open symptoms; a POST naming no episode of theirs goes back to the list.
    Route("checkins:episodes", "patient", methods=("GET", "POST"), ok={"POST": 302}),
    Route(
        "api:submit_checkin",
        "patient",
        methods=("POST",),
        api=True,
        ok={"POST": 201},
        data=lambda personas, target: {"idempotency_key": uuid.uuid4().hex, "mood": 6},
    ),
    Route("api:list_checkins", "patient", api=True),
]
