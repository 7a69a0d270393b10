"""checkins API router: the patient submits a check-in (idempotent) and lists their own."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from ketacare.audit.services import holding_rows
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.schemas import CheckinIn, CheckinOut
from ketacare.checkins.selectors import patient_checkins
from ketacare.checkins.services import HomeBpIn, ReportIn, submit_checkin
from ketacare.checkins.services.submission import NOT_GIVEN
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import body_doc, own_patient, parse_payload, submission_responses, submitted

router = Router(tags=["checkins"])


@router.post(
    "/me/checkins",
    response=submission_responses(CheckinOut),
    summary="Submit a check-in (patient); a retry with the same key returns the original",
    openapi_extra=body_doc(CheckinIn),
    url_name="submit_checkin",
)
def submit_checkin_api(request: HttpRequest) -> Status[SymptomCheckin]:
    # The access's audit row waits for the check-in's transaction and commits in it.
    with holding_rows():
        return _submit(request)


def _submit(request: HttpRequest) -> Status[SymptomCheckin]:
    patient = own_patient(request, action="write")
    payload = parse_payload(request, CheckinIn)
    outcome = submit_checkin(
        patient=patient,
        idempotency_key=payload.idempotency_key,
        reports=[
            ReportIn(r.symptom_id, r.severity or NOT_GIVEN, r.onset_min, r.onset_day) for r in payload.reports
        ],
        mood=payload.mood,
        note=payload.note,
        other_text=payload.other_text,
        worry=payload.worry,
        home_bp=(
            HomeBpIn(payload.home_bp.systolic_mmhg, payload.home_bp.diastolic_mmhg, payload.home_bp.pulse_bpm)
            if payload.home_bp is not None
            else None
        ),
        now=timezone.now(),
    )
    return submitted(outcome.checkin, outcome.created)


@router.get("/me/checkins", response=list[CheckinOut], summary="My check-ins, newest first (patient)")
@paginate(LinkedPagination)
def list_checkins(request: HttpRequest) -> QuerySet[SymptomCheckin]:
    patient = own_patient(request, action="read")
    return patient_checkins(patient=patient)
