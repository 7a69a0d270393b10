"""Due questionnaires, the form rendered from the core definition, its result page, and the policy page."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.gates import clinic_admin_required, own_patient_page, patient_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.core.display import condition_name, instrument_name
from ketacare.core.instruments import get_instrument, instruments
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.patients.facts import SUICIDE_RISK, ResponseOutcome, at_the_clinic
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient, clinic_contact_for
from ketacare.questionnaires.forms import QuestionnairePolicyForm
from ketacare.questionnaires.models import QuestionnairePolicy
from ketacare.questionnaires.selectors import access_response, due_questionnaires
from ketacare.questionnaires.services import (
    QuestionnaireError,
    patient_instrument,
    schedule_questionnaires,
    submit_questionnaire,
    update_questionnaire_policy,
)


def _own(request: AuthenticatedRequest, action: str = "read") -> Patient:
    return access_patient(request.user, request.user.patient.public_id, action=action)


@patient_required
def due(request: AuthenticatedRequest) -> HttpResponse:
    """The questionnaires due now (the schedule is brought up to date first) and those open any time."""
    now = timezone.now()
    patient = _own(request)
    schedule_questionnaires(patient=patient, now=now)
    due_now = due_questionnaires(patient=patient, now=now)
    # A questionnaire already listed as due is not offered a second time under another name.
    listed = {assignment.instrument_id for assignment in due_now}
    return render(
        request,
        "questionnaires/due.html",
        {
            "patient": patient,
            "due": due_now,
            "now": now,
            "available": [i for i in instruments() if i.completed_by == "patient" and i.id not in listed],
        },
    )


@own_patient_page("questionnaire", "instrument")
def fill(request: AuthenticatedRequest, instrument: str) -> HttpResponse:
    """One questionnaire. Sent answers are stored, then the browser is sent to their result page
    (Post/Redirect/Get: a refresh or the back button never posts them again), which shows the crisis
    resources at once when item 9 of the PHQ-9 (any suicide-risk item) is positive. Answers that
    cannot be stored come back on the form with what to correct (400)."""
    try:
        definition = patient_instrument(instrument)
    except QuestionnaireError:
        record_access_event(
            action="read", outcome="denied", object_type="questionnaire", object_id=instrument[:64]
        )
        raise Http404("No such questionnaire") from None
    patient = _own(request, "write" if request.method == "POST" else "read")
    errors: list[str] = []
    chosen: dict[str, int] = {}
    key = uuid.uuid4().hex
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")[:IDEMPOTENCY_KEY_MAX_CHARS]
        for item in definition.items:
            raw = request.POST.get(item.id)
            if raw not in (None, ""):
                try:
                    chosen[item.id] = int(raw)
                except ValueError:
                    errors.append(
                        f"{item.id}: {raw[:10]!r} is not one of {', '.join(map(str, item.allowed_values))}"
                    )
        missing = [i for i, item in enumerate(definition.items, 1) if item.required and item.id not in chosen]
        if missing:
            errors.append(f"Please answer question(s) {', '.join(map(str, missing))}.")
        if not errors:
            try:
                outcome = submit_questionnaire(
                    patient=patient,
                    instrument_id=definition.id,
                    answers=chosen,
                    idempotency_key=key,
                    now=timezone.now(),
                )
            except FieldError as error:
                errors.append(error.message)
            else:
                # 303 See Other: the browser follows with a GET, so the result page is what it keeps.
                return HttpResponseRedirect(
                    reverse("questionnaires:result", kwargs={"response_id": str(outcome.response.public_id)}),
                    status=303,
                )
    items = [
        {"item": item, "number": n, "selected": chosen.get(item.id)}
        for n, item in enumerate(definition.items, 1)
    ]
    return render(
        request,
        "questionnaires/form.html",
        {"patient": patient, "instrument": definition, "items": items, "errors": errors, "key": key},
        status=400 if errors else 200,
    )


@own_patient_page("questionnaire_response", "response_id")
def result(request: AuthenticatedRequest, response_id: str) -> HttpResponse:
    """The result of one sent questionnaire: the page the form redirects to after storing the answers.

    It shows what the answer to the POST showed: the score and, whenever the stored answers carry a
    suicide-risk item (PHQ-9 item 9), the crisis line, the emergency number and the clinic's phone;
    while the clinic is closed, after those two numbers, when the clinic will see the alert instead.
    """
    response = access_response(request.user, response_id)
    patient = response.patient
    definition = next((i for i in instruments() if i.id == response.instrument_id), None)
    crisis = ResponseOutcome(response, created=False).crisis
    return render(
        request,
        "questionnaires/result.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "instrument": definition,
            "response": response,
            # The same rule the submission used to decide on the crisis screen (patients.facts).
            "crisis": crisis,
            # Whether the clinic is open now: closed, the screen says when it will see the alert.
            "contact": clinic_contact_for(patient, timezone.now()),
            # In the chair, the fastest help is the staff in the room: the crisis screen says so first.
            "at_the_clinic": crisis and at_the_clinic(patient),
        },
    )


def _asks_about_self_harm(instrument_id: str) -> bool:
    return any(rule.code == SUICIDE_RISK for rule in get_instrument(instrument_id).alert_rules)


@clinic_admin_required
def policy(request: AuthenticatedRequest) -> HttpResponse:
    """Clinic admins: which questionnaires fall due and when (without a saved policy the defaults apply)."""
    clinic = active_clinic(request)
    if clinic is None:  # pragma: no cover - clinic_admin_required guarantees it
        raise Http404("Not found")
    current = QuestionnairePolicy.objects.filter(clinic=clinic).first() or QuestionnairePolicy(clinic=clinic)
    if request.method == "POST":
        form = QuestionnairePolicyForm(request.POST)
        if form.is_valid():
            update_questionnaire_policy(clinic=clinic, values=form.cleaned_data)
            messages.success(request, "The questionnaire schedule is saved.")
            if not any(_asks_about_self_harm(i) for i in form.cleaned_data["core_instruments"]):
                # Saved (a clinic may screen another way), but never silently: PHQ-9 item 9 is how the
                # schedule asks about thoughts of self-harm between sessions.
                messages.warning(
                    request,
                    "No questionnaire on the schedule asks about thoughts of self-harm (PHQ-9 item 9 does): "
                    "patients are no longer asked between sessions, and no suicide-risk alert can come from "
                    "the schedule. Add PHQ-9 back unless the clinic screens another way.",
                )
            return redirect("questionnaires:policy")
        status = 400
    else:
        form = QuestionnairePolicyForm(
            initial={
                "core_instruments": current.core_instruments,
                "before_each_induction_session": current.before_each_induction_session,
                "after_first_dose_hours": current.after_first_dose_hours,
                "induction_interval_days": current.induction_interval_days,
                "maintenance_interval_days": current.maintenance_interval_days,
                "due_hour_local": current.due_hour_local,
                "daily_mood": current.daily_mood,
            }
        )
        status = 200
    return render(
        request,
        "questionnaires/policy.html",
        {
            "form": form,
            "clinic": clinic,
            "saved": current.pk is not None,
            # Staff read the condition and questionnaire names, not the ids the policy stores.
            "conditions": [
                (condition_name(condition), [instrument_name(i) for i in ids])
                for condition, ids in current.condition_instruments.items()
            ],
        },
        status=status,
    )
