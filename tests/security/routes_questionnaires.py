"""Routes of the questionnaires app in the authorisation matrix."""

from __future__ import annotations

import uuid

from tests.security.routes import Route, patient_kwargs


def _phq9(personas: object, target: object) -> dict[str, object]:
    return {"idempotency_key": uuid.uuid4().hex, **{f"phq9.q{i}": "1" for i in range(1, 10)}}


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
    Route(
        "questionnaires:fill",
        "patient",
        methods=("GET", "POST"),
        kwargs=lambda personas, target: {"instrument": "phq9"},
        data=_phq9,
    ),
    Route("companion:progress", "patient"),
    Route("companion:staff_progress", "staff_record", kwargs=patient_kwargs),
    Route("api:submit_questionnaire", "patient", methods=("POST",), api=True, ok={"POST": 201}, data=_phq9),
    Route("api:list_due_questionnaires", "patient", api=True),
    Route("api:list_questionnaire_responses", "patient", api=True),
]
