"""Routes of the questionnaires app in the authorisation matrix."""

from __future__ import annotations

import uuid
from typing import Any

from tests.security.routes import Route, patient_kwargs


def _phq9(personas: object, target: object) -> dict[str, object]:
    return {"idempotency_key": uuid.uuid4().hex, **{f"phq9.q{i}": "1" for i in range(1, 10)}}


def _own_result(personas: Any, target: Any) -> dict[str, Any]:
    """A PHQ-9 the target patient sent (through the service the form uses): its result page's kwargs."""
    from django.utils import timezone

    from ketacare.questionnaires.services import submit_questionnaire

    outcome = submit_questionnaire(
        patient=target,
        instrument_id="phq9",
        answers={f"phq9.q{i}": 1 if i < 9 else 0 for i in range(1, 10)},
        idempotency_key=uuid.uuid4().hex,
        now=timezone.now(),
    )
    return {"response_id": str(outcome.response.public_id)}


ROUTES: list[Route] = [
    Route("questionnaires:due", "patient"),
    Route(
        "questionnaires:policy",
        "admin",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {
            "core_instruments": ["phq9", "gad7"],
            "before_each_induction_session": "on",
            "after_first_dose_hours": "24",
            "induction_interval_days": "7",
            "maintenance_interval_days": "14",
            "due_hour_local": "18",
        },
    ),
    # A parameter route: each target is a "patient" object route; non-patients leave a denied row.
    # Sent answers are stored, then the browser is sent to their result page (Post/Redirect/Get).
    Route(
        "questionnaires:fill",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 303},
        kwargs=lambda personas, target: {"instrument": "phq9"},
        data=_phq9,
    ),
    # The result of one sent questionnaire: its own patient only (staff read scores on the staff
    # progress page); anyone else gets a 404 with a denied row.
    Route("questionnaires:result", "self", kwargs=_own_result),
    Route("companion:progress", "patient"),
    Route("companion:staff_progress", "staff_record", kwargs=patient_kwargs),
    Route("api:submit_questionnaire", "patient", methods=("POST",), api=True, ok={"POST": 201}, data=_phq9),
    Route("api:list_due_questionnaires", "patient", api=True),
    Route("api:list_questionnaire_responses", "patient", api=True),
]
