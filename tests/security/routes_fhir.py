"""Routes of the FHIR R4 API (/fhir/R4/) in the authorisation matrix.

They answer 401 themselves (``api=True``), not the login redirect: programs call them. Searches are for
any signed-in user and return only what that user may reach (tests/integration/test_fhir_api.py checks
the contents); reads and $everything are about one patient; bulk export is the clinic admin's.
"""

from __future__ import annotations

from typing import Any

from ketacare.interop.services import FHIR_TYPES
from tests.security.routes import Route


def _patient_read(personas: Any, target: Any) -> dict[str, Any]:
    return {"resource_type": "Patient", "resource_id": str(target.public_id)}


def _everything(personas: Any, target: Any) -> dict[str, Any]:
    return {"patient_id": str(target.public_id)}


def _job(personas: Any, *, complete: bool) -> Any:
    from django.utils import timezone

    from ketacare.interop.services import run_export_slice, start_bulk_export

    job = start_bulk_export(
        clinic=personas.a1.clinic,
        resource_types=["Patient"],
        since=None,
        now=timezone.now(),
        by=personas.admin_a,
    )
    return run_export_slice(job) if complete else job


def _job_status(personas: Any, target: Any) -> dict[str, Any]:
    # Finished, so that the admin's GET is the manifest (a poll of a running job answers 202).
    return {"job_id": _job(personas, complete=True).public_id}


def _job_file(personas: Any, target: Any) -> dict[str, Any]:
    return {"job_id": _job(personas, complete=True).public_id, "resource_type": "Patient"}


ROUTES: list[Route] = [
    Route("fhir:metadata", "public", api=True),
    Route("fhir:smart_configuration", "public", api=True),
    # An empty form is refused as the OAuth error it is (unsupported_grant_type).
    Route("fhir:token", "public", methods=("POST",), ok={"POST": 400}, api=True),
    Route("fhir:read", "record", kwargs=_patient_read, api=True),
    Route("fhir:everything", "record", kwargs=_everything, api=True),
    *[Route(f"fhir:search_{kind}", "any", api=True) for kind in FHIR_TYPES],
    Route("fhir:export", "admin", ok={"GET": 202}, api=True),
    Route(
        "fhir:export_status",
        "admin",
        methods=("GET", "DELETE"),
        kwargs=_job_status,
        ok={"DELETE": 202},
        api=True,
    ),
    Route("fhir:export_file", "admin", kwargs=_job_file, api=True),
]
