"""Patient check-in (mobile-first, works without JavaScript), preparation checklist, staff view."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.alerts.selectors import patient_alerts
from ketacare.checkins.forms import CheckinForm
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.preparation import preparation_items
from ketacare.checkins.selectors import patient_checkins, patient_symptoms, preparation_ticks
from ketacare.checkins.services import ReportIn, submit_checkin, tick_preparation
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.core.triage import SEVERITIES
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.patients.facts import next_appointment, patient_route
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient

SEARCH_MAX_CHARS = 100


def _own_patient(request: AuthenticatedRequest, *, action: str = "read") -> Patient:
    return access_patient(request.user, request.user.patient.public_id, action=action)


def _picker(query: str, chosen: dict[str, str]) -> dict[str, Any]:
    """The symptoms to show: matches for the query (all when empty) plus everything already ticked."""
    known = kb.knowledge()
    if query.strip():
        ids = [m.id for m in kb.search_symptoms(query)]
    else:
        ids = [*known.side_effects, *known.red_flags]
    ids = list(dict.fromkeys([*chosen, *ids]))
    rows = []
    for symptom_id in ids:
        if symptom_id in known.side_effects:
            entry: Any = known.side_effects[symptom_id]
            kind = "side_effect"
        elif symptom_id in known.red_flags:
            entry = known.red_flags[symptom_id]
            kind = "red_flag"
        else:
            continue
        rows.append(
            {
                "id": symptom_id,
                "name": entry.name,
                "kind": kind,
                "synonyms": ", ".join(entry.synonyms[:4]),
                "checked": symptom_id in chosen,
                "severity": chosen.get(symptom_id, "mild"),
            }
        )
    return {"symptoms": rows, "query": query, "severities": SEVERITIES}


def _chosen(request: AuthenticatedRequest) -> dict[str, str]:
    return {
        symptom_id[:60]: request.POST.get(f"severity_{symptom_id[:60]}", "mild")[:20]
        for symptom_id in request.POST.getlist("symptom")[:40]
    }


@patient_required
def checkin(request: AuthenticatedRequest) -> HttpResponse:
    """Pick symptoms, severity, mood and a note; the answer (and any emergency screen) comes at once."""
    if request.method != "POST":
        patient = _own_patient(request)
        query = request.GET.get("q", "")[:SEARCH_MAX_CHARS]
        form = CheckinForm(initial={"idempotency_key": uuid.uuid4().hex})
        return render(
            request, "checkins/checkin.html", {"form": form, "patient": patient, **_picker(query, {})}
        )
    chosen = _chosen(request)
    query = request.POST.get("q", "")[:SEARCH_MAX_CHARS]
    if request.POST.get("action") == "search":
        patient = _own_patient(request)
        context = _picker(query, chosen)
        if request.htmx:
            return render(request, "checkins/_picker.html", context)
        key = request.POST.get("idempotency_key", "")[:IDEMPOTENCY_KEY_MAX_CHARS]
        form = CheckinForm(
            initial={
                "idempotency_key": key or uuid.uuid4().hex,
                "mood": request.POST.get("mood", "")[:3],
                "note": request.POST.get("note", ""),
            }
        )
        return render(request, "checkins/checkin.html", {"form": form, "patient": patient, **context})
    patient = _own_patient(request, action="write")
    form = CheckinForm(request.POST)
    if form.is_valid():
        try:
            outcome = submit_checkin(
                patient=patient,
                idempotency_key=form.cleaned_data["idempotency_key"],
                reports=[ReportIn(symptom_id=k, severity=v) for k, v in chosen.items()],
                mood=form.cleaned_data["mood"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except FieldError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return render(request, "checkins/answer.html", _answer_context(outcome.checkin))
    return render(
        request,
        "checkins/checkin.html",
        {"form": form, "patient": patient, **_picker(query, chosen)},
        status=400,
    )


def _answer_context(checkin: SymptomCheckin) -> dict[str, Any]:
    level = Level(checkin.triage_level)
    return {
        "checkin": checkin,
        "clinic": checkin.patient.clinic,
        "result": checkin.triage_result,
        "level": level.value,
        "emergency": level >= Level.URGENT,
        "contact_clinic": Level.LONGER_THAN_EXPECTED <= level < Level.URGENT,
    }


@patient_required
def preparation(request: AuthenticatedRequest) -> HttpResponse:
    """The route-specific checklist for the next session; ticks are saved and shown to the clinic."""
    now = timezone.now()
    patient = _own_patient(request, action="write" if request.method == "POST" else "read")
    appointment = next_appointment(patient, now=now)
    session_key = appointment.public_id if appointment else "next"
    items = preparation_items(
        appointment.route if appointment and appointment.route else patient_route(patient, now=now)
    )
    if request.method == "POST":
        ticked = set(request.POST.getlist("item"))
        try:
            for item in items:
                tick_preparation(
                    patient=patient,
                    session_key=session_key,
                    item_id=item.id,
                    done=item.id in ticked,
                    allowed_items=[i.id for i in items],
                    now=now,
                )
        except FieldError as error:  # pragma: no cover - items come from the same list
            return HttpResponse(error.message, status=400)
        return redirect("checkins:preparation")
    ticks = preparation_ticks(patient=patient, session_key=session_key)
    return render(
        request,
        "checkins/preparation.html",
        {"patient": patient, "appointment": appointment, "items": items, "ticks": ticks},
    )


@staff_required
def staff_checkins(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Staff: a patient's check-ins, symptoms with recorded durations, alerts and preparation ticks."""
    patient = access_patient(request.user, patient_id)
    now = timezone.now()
    appointment = next_appointment(patient, now=now)
    session_key = appointment.public_id if appointment else "next"
    items = preparation_items(
        appointment.route if appointment and appointment.route else patient_route(patient, now=now)
    )
    return render(
        request,
        "checkins/staff_checkins.html",
        {
            "patient": patient,
            "checkins": patient_checkins(patient=patient)[:50],
            "symptoms": patient_symptoms(patient=patient)[:50],
            "alerts": patient_alerts(patient=patient)[:50],
            "items": items,
            "ticks": preparation_ticks(patient=patient, session_key=session_key),
        },
    )
