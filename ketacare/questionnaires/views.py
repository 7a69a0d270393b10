"""Due questionnaires, the form rendered from the core definition, and the progress page."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.gates import clinic_admin_required, own_patient_page, patient_required, staff_required
from ketacare.audit.services import record_access_event
from ketacare.checkins.selectors import patient_checkins, patient_doses, patient_symptoms
from ketacare.clinics.selectors import active_clinic
from ketacare.core.instruments import classify_change, instruments
from ketacare.core.triage import describe_minutes
from ketacare.intake.models import BaselineScore
from ketacare.patients.selectors import access_patient
from ketacare.questionnaires.charts import line_chart
from ketacare.questionnaires.forms import QuestionnairePolicyForm
from ketacare.questionnaires.models import QuestionnairePolicy
from ketacare.questionnaires.selectors import due_assignments, patient_responses
from ketacare.questionnaires.services import (
    QuestionnaireError,
    patient_instrument,
    schedule_questionnaires,
    submit_questionnaire,
    update_questionnaire_policy,
)

# Plain words for the core's change classes (the thresholds themselves live in the core).
CHANGE_WORDS = {
    "remission": "Your latest score is in the range called remission: few or no symptoms.",
    "response": "Your score has fallen by at least half since you started. This is called a response.",
    "partial": "Your score has improved since you started, though by less than half.",
    "no_change": "Your score has not changed much yet. Some people need several sessions; talk with your care team about how you feel.",
    "worsening": "Your score is higher than when you started. Please talk with your clinic about it.",
}


def _own(request: HttpRequest, action: str = "read") -> Any:
    return access_patient(request.user, request.user.patient.public_id, action=action)  # type: ignore[union-attr]


@patient_required
def due(request: HttpRequest) -> HttpResponse:
    """The questionnaires due now (the schedule is brought up to date first) and those open any time."""
    now = timezone.now()
    patient = _own(request)
    schedule_questionnaires(patient=patient, now=now)
    return render(
        request,
        "questionnaires/due.html",
        {
            "patient": patient,
            "due": due_assignments(patient=patient, now=now),
            "available": [i for i in instruments() if i.completed_by == "patient"],
        },
    )


@own_patient_page("questionnaire", "instrument")
def fill(request: HttpRequest, instrument: str) -> HttpResponse:
    """One questionnaire; item 9 of the PHQ-9 (any suicide-risk item) shows crisis resources at once."""
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
        key = request.POST.get("idempotency_key", "")[:64]
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
            except QuestionnaireError as error:
                errors.append(error.message)
            else:
                return render(
                    request,
                    "questionnaires/result.html",
                    {
                        "patient": patient,
                        "clinic": patient.clinic,
                        "instrument": definition,
                        "response": outcome.response,
                        "crisis": outcome.crisis,
                    },
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


def progress_context(patient: Any) -> dict[str, Any]:
    """Charts of scores and mood with session markers, change in plain words, side-effect durations."""
    now = timezone.now()
    zone = ZoneInfo(patient.time_zone)
    doses = [d.started_at.astimezone(zone) for d in patient_doses(patient, now=now)]
    # Each point: (when, total, band). Staff-entered intake baselines come first where they exist.
    by_instrument: dict[str, list[tuple[Any, float, str]]] = {}
    for baseline in BaselineScore.objects.filter(patient=patient, status="valid").order_by(
        "completed_at", "id"
    ):
        by_instrument.setdefault(baseline.instrument_id, []).append(
            (baseline.completed_at, float(baseline.total), baseline.band)
        )
    for response in patient_responses(patient=patient):
        by_instrument.setdefault(response.instrument_id, []).append(
            (response.submitted_at, response.total, response.band)
        )
    known = {i.id: i for i in instruments()}
    sections = []
    for instrument_id, points in by_instrument.items():
        definition = known.get(instrument_id)
        if definition is None or definition.completed_by != "patient":
            continue
        points.sort(key=lambda p: p[0])
        series = [(when.astimezone(zone), total) for when, total, _ in points]
        change = None
        if len(points) > 1 and definition.has_change_rules:
            change = classify_change(instrument_id, baseline=points[0][1], current=points[-1][1])
        sections.append(
            {
                "instrument": definition,
                "chart": line_chart(
                    title=f"{definition.title} over time",
                    description=(
                        f"{len(points)} scores from {series[0][1]:g} to {series[-1][1]:g} "
                        f"(range {definition.min_score:g} to {definition.max_score:g}; "
                        f"{'lower' if definition.higher_is_worse else 'higher'} is better); "
                        f"vertical lines mark sessions."
                    ),
                    y_label="score",
                    series=series,
                    y_min=float(definition.min_score),
                    y_max=float(definition.max_score),
                    markers=doses,
                ),
                "change": change,
                "change_words": CHANGE_WORDS.get(change or "", ""),
                "rows": [(when.astimezone(zone), total, band) for when, total, band in points],
            }
        )
    checkins = [c for c in reversed(patient_checkins(patient=patient)[:200]) if c.mood_0_10 is not None]
    mood_series = [(c.submitted_at.astimezone(zone), float(c.mood_0_10)) for c in checkins]  # type: ignore[arg-type]
    mood_chart = line_chart(
        title="Mood over time",
        description=f"{len(mood_series)} mood ratings from 0 (very low) to 10 (very good); vertical lines mark sessions.",
        y_label="mood",
        series=mood_series,
        y_min=0,
        y_max=10,
        markers=doses,
    )
    symptoms = []
    for report in patient_symptoms(patient=patient)[:50]:
        recorded = report.recorded_minutes_after_dose
        symptoms.append(
            {
                "report": report,
                "recorded": describe_minutes(recorded) if recorded is not None else None,
                "expected": describe_minutes(report.expected_resolution_min)
                if report.expected_resolution_min is not None
                else None,
                "longer": recorded is not None
                and report.expected_resolution_min is not None
                and recorded > report.expected_resolution_min,
            }
        )
    return {
        "patient": patient,
        "sections": sections,
        "mood_chart": mood_chart,
        "mood_rows": mood_series,
        "symptoms": symptoms,
    }


@patient_required
def progress(request: HttpRequest) -> HttpResponse:
    """The patient's progress page."""
    patient = _own(request)
    return render(request, "questionnaires/progress.html", progress_context(patient))


@staff_required
def staff_progress(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Staff of the patient's clinic: the same charts, change classes and side-effect durations."""
    patient = access_patient(request.user, patient_id)
    return render(
        request, "questionnaires/staff_progress.html", {**progress_context(patient), "staff_view": True}
    )


@clinic_admin_required
def policy(request: HttpRequest) -> HttpResponse:
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
            "conditions": current.condition_instruments,
        },
        status=status,
    )
