"""Routes of the checkins app in the authorisation matrix."""

from __future__ import annotations

import uuid

from tests.security.routes import Route, patient_kwargs

ROUTES: list[Route] = [
    Route(
        "checkins:checkin",
        "patient",
        methods=("GET", "POST"),
        data=lambda personas, target: {"idempotency_key": uuid.uuid4().hex, "mood": "6", "action": "submit"},
    ),
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
