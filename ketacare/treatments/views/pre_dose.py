"""Questionnaires due before the dose, entered or skipped by the nurse at the chair.

Answered like the other run-sheet POSTs: the refreshed run-sheet with htmx, else a redirect or a 422.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import nothing_written, transaction_with_held_rows
from ketacare.core.instruments import get_instrument
from ketacare.lib.errors import FieldError
from ketacare.treatments import forms, selectors, services
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.views._common import apply_error, write_audited_when_written
from ketacare.treatments.views.sheet import pre_dose_context, sheet_context


def _pre_dose_done(request: AuthenticatedRequest, session: TreatmentSession, message: str) -> HttpResponse:
    session.refresh_from_db()
    if request.htmx:
        return render(request, "treatments/run_sheet.html#sheet", sheet_context(request, session))
    messages.success(request, message)
    return redirect("treatments:run_sheet", session_id=session.public_id)


def _pre_dose_failed(request: AuthenticatedRequest, session: TreatmentSession, **failed: Any) -> HttpResponse:
    session.refresh_from_db()
    context = sheet_context(request, session, **pre_dose_context(session, **failed))
    if request.htmx:
        return render(request, "treatments/run_sheet.html#sheet", context)
    return render(request, "treatments/run_sheet.html", context, status=422)


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
@write_audited_when_written
def pre_dose_questionnaire(
    request: AuthenticatedRequest, session_id: str, assignment_id: str
) -> HttpResponse:
    """The nurse enters a due questionnaire's answers at the chair (rendered from the core definition)."""
    session = selectors.access_session(request.user, session_id, action="write")
    assignment = selectors.pre_dose_assignment(session, assignment_id)
    instrument = get_instrument(assignment.instrument_id)
    answers, errors = forms.parse_answers(instrument, request.POST)
    if not errors:
        try:
            with transaction_with_held_rows():
                outcome = services.record_pre_dose_questionnaire(
                    session=session,
                    user=request.user,
                    assignment=assignment,
                    answers=answers,
                    idempotency_key=request.POST.get("idempotency_key", "")[:64] or uuid.uuid4().hex,
                )
                if not outcome.created:
                    # The form sent again: answered with the first response, so the access was a read.
                    nothing_written()
        except FieldError as error:
            errors = [error.message]
        else:
            return _pre_dose_done(request, session, f"{instrument.title} recorded.")
    return _pre_dose_failed(
        request, session, failed=str(assignment.public_id), errors=errors, selected=answers
    )


@staff_object_view("treatment_session", "session_id", action="write")
@require_POST
@write_audited_when_written
def pre_dose_questionnaire_skip(
    request: AuthenticatedRequest, session_id: str, assignment_id: str
) -> HttpResponse:
    """The nurse records that a due questionnaire was not done, with the reason."""
    session = selectors.access_session(request.user, session_id, action="write")
    assignment = selectors.pre_dose_assignment(session, assignment_id)
    key = str(assignment.public_id)
    form = forms.SkipQuestionnaireForm(request.POST, auto_id=f"skip_{key}_%s")
    if form.is_valid():
        try:
            with transaction_with_held_rows():
                services.skip_pre_dose_questionnaire(
                    session=session,
                    user=request.user,
                    assignment=assignment,
                    reason=form.cleaned_data["skip_reason"],
                )
        except FieldError as error:
            apply_error(form, error)
        else:
            return _pre_dose_done(request, session, "Questionnaire marked as skipped.")
    return _pre_dose_failed(request, session, failed=key, skip_form=form)
