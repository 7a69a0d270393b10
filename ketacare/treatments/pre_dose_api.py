"""Treatments API: the questionnaires due before a session's dose, listed, entered or skipped.

A questionnaire still due holds the dose (selectors.questionnaires_hold), so an API client completes
each the way the run-sheet does: the same services, behind the same doors as the other session writes
(staff of the session's clinic; anyone else a 404, audited), on that module's router, which imports this.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404
from ninja.errors import ValidationError
from ninja.pagination import paginate
from ninja.responses import Status

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.lib.errors import FieldError
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import ApiErrorOut
from ketacare.treatments import selectors, services
from ketacare.treatments.api import _json_body, _session_write, _staff_or_404, router
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.schemas import PreDoseAnswersIn, PreDoseQuestionnaireOut, PreDoseSkipIn


def _item(session: TreatmentSession, instrument_id: str) -> selectors.PreDoseItem:
    """The session's questionnaire of this instrument (the one still due, if any); none is a 404."""
    items = [
        i for i in selectors.pre_dose_questionnaires(session) if i.assignment.instrument_id == instrument_id
    ]
    if not items:
        raise Http404("Not found")
    return next((i for i in items if i.status == "due"), items[0])


def _out(session: TreatmentSession, instrument_id: str) -> PreDoseQuestionnaireOut:
    return PreDoseQuestionnaireOut.from_item(_item(session, instrument_id))


@router.get(
    "/sessions/{session_id}/pre-dose-questionnaires",
    response={200: list[PreDoseQuestionnaireOut], 404: ApiErrorOut},
    summary="The questionnaires due before the dose and where each stands (a due one holds the dose)",
)
@paginate(LinkedPagination)
def list_session_pre_dose_questionnaires(request: AuthenticatedRequest, session_id: str) -> Any:
    _staff_or_404(request, "treatment_session", session_id, "read")
    session = selectors.access_session(request.user, session_id)
    return [PreDoseQuestionnaireOut.from_item(i) for i in selectors.pre_dose_questionnaires(session)]


@router.post(
    "/sessions/{session_id}/pre-dose-questionnaires/{instrument_id}/skip",
    response={200: PreDoseQuestionnaireOut},
    summary="Record that a questionnaire due before the dose was not done, with the reason (required)",
    openapi_extra=_json_body(PreDoseSkipIn),
)
def skip_session_pre_dose_questionnaire(
    request: AuthenticatedRequest, session_id: str, instrument_id: str
) -> Any:
    def call(session: TreatmentSession, p: PreDoseSkipIn) -> PreDoseQuestionnaireOut:
        assignment = _item(session, instrument_id).assignment
        try:
            services.skip_pre_dose_questionnaire(
                session=session, user=request.user, assignment=assignment, reason=p.reason
            )
        except FieldError as error:
            if error.field != "skip_reason":
                raise
            # The service names the run-sheet's field; this body calls it `reason`.
            raise type(error)("reason", error.message.replace("skip_reason", "reason")) from None
        return _out(session, instrument_id)

    return _session_write(
        request, session_id, PreDoseSkipIn, call, operation="skip_session_pre_dose_questionnaire"
    )


def _answers(request: AuthenticatedRequest, payload: PreDoseAnswersIn) -> dict[str, int]:
    if payload.answers or request.content_type != "application/x-www-form-urlencoded":
        return payload.answers
    # A form body carries the items as top-level fields ("phq9.q1=2"), as /me/questionnaires takes them.
    out: dict[str, int] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if "." in key:
            try:
                out[key] = int(value)
            except ValueError:
                raise ValidationError(
                    [{"loc": ("body", key), "msg": f"{key} must be a whole number"}]
                ) from None
    return out


@router.post(
    "/sessions/{session_id}/pre-dose-questionnaires/{instrument_id}/answers",
    response={200: PreDoseQuestionnaireOut, 201: PreDoseQuestionnaireOut},
    summary=(
        "Enter the answers to a questionnaire due before the dose (scored by the server; a suicide-risk "
        "answer alerts the clinic at once); a retry with the same key returns the first response (200)"
    ),
    openapi_extra=_json_body(PreDoseAnswersIn),
)
def answer_session_pre_dose_questionnaire(
    request: AuthenticatedRequest, session_id: str, instrument_id: str
) -> Any:
    def call(session: TreatmentSession, p: PreDoseAnswersIn) -> Status[PreDoseQuestionnaireOut]:
        assignment = _item(session, instrument_id).assignment
        outcome = services.record_pre_dose_questionnaire(
            session=session,
            user=request.user,
            assignment=assignment,
            answers=_answers(request, p),
            idempotency_key=p.idempotency_key or uuid.uuid4().hex,
        )
        return Status(201 if outcome.created else 200, _out(session, instrument_id))

    return _session_write(
        request, session_id, PreDoseAnswersIn, call, operation="answer_session_pre_dose_questionnaire"
    )
