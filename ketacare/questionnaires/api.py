"""questionnaires API router: submit answers (idempotent) and list what is due."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import ValidationError
from ninja.pagination import paginate

from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import body_doc, own_patient, parse_payload, submission_responses, submitted
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnaireResponse
from ketacare.questionnaires.schemas import AssignmentOut, QuestionnaireIn, QuestionnaireOut
from ketacare.questionnaires.selectors import due_assignments, patient_responses
from ketacare.questionnaires.services import submit_questionnaire

router = Router(tags=["questionnaires"])


def _answers_from_form(payload: QuestionnaireIn, request: HttpRequest) -> dict[str, int]:
    if payload.answers:
        return payload.answers
    # A form-encoded body carries items as top-level fields ("phq9.q1=2").
    out: dict[str, Any] = {}
    for key, value in request.POST.items():
        if "." in key:
            try:
                out[key] = int(str(value))
            except ValueError:
                raise ValidationError(
                    [{"loc": ("body", key), "msg": f"{key} must be a whole number"}]
                ) from None
    return out


@router.post(
    "/me/questionnaires",
    response=submission_responses(QuestionnaireOut),
    summary="Submit questionnaire answers (patient); a retry with the same key returns the original",
    openapi_extra=body_doc(QuestionnaireIn),
    url_name="submit_questionnaire",
)
def submit_questionnaire_api(request: HttpRequest) -> Status[QuestionnaireResponse]:
    patient = own_patient(request, action="write")
    payload = parse_payload(request, QuestionnaireIn)
    outcome = submit_questionnaire(
        patient=patient,
        instrument_id=payload.instrument_id,
        answers=_answers_from_form(payload, request),
        idempotency_key=payload.idempotency_key,
        now=timezone.now(),
    )
    return submitted(outcome.response, outcome.created)


@router.get(
    "/me/questionnaires/due", response=list[AssignmentOut], summary="Questionnaires due now (patient)"
)
@paginate(LinkedPagination)
def list_due_questionnaires(request: HttpRequest) -> list[QuestionnaireAssignment]:
    patient = own_patient(request, action="read")
    return list(due_assignments(patient=patient, now=timezone.now()))


@router.get(
    "/me/questionnaires/responses",
    response=list[QuestionnaireOut],
    summary="My questionnaire scores, oldest first (patient)",
)
@paginate(LinkedPagination)
def list_questionnaire_responses(request: HttpRequest) -> QuerySet[QuestionnaireResponse]:
    patient = own_patient(request, action="read")
    return patient_responses(patient=patient)
