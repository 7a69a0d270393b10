"""Support people: the patient invites and revokes; the invited person opens a link and sees only what
their role allows (docs/decisions/0020)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.checkins.picker import Picked, checked
from ketacare.checkins.selectors import patient_symptoms
from ketacare.checkins.services import ReportIn
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.core.triage import SEVERITIES
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error, field_message
from ketacare.messaging.models import Message
from ketacare.messaging.selectors import thread_message
from ketacare.patients.selectors import access_patient
from ketacare.support.forms import InviteForm
from ketacare.support.models import SupportGrant
from ketacare.support.selectors import (
    about_them,
    active_grant,
    companion_answer,
    companion_context,
    next_companion_day,
    patient_grants,
    short_name,
    supporter_context,
)
from ketacare.support.services import (
    invite_support_person,
    is_active,
    open_support_link,
    record_message_as_checkin,
    report_on_behalf,
    revoke_support_grant,
)
from ketacare.treatments.instructions import tel

SESSION_KEY = "support_grant"


@patient_required
def manage(request: AuthenticatedRequest) -> HttpResponse:
    """The people the patient invited; invite one (the link is shown once) or end someone's access."""
    now = timezone.now()
    patient = access_patient(
        request.user, request.user.patient.public_id, action="write" if request.method == "POST" else "read"
    )
    next_day = next_companion_day(patient, now)
    link = ""
    status = 200
    form = InviteForm(next_day=next_day)
    if request.method == "POST" and request.POST.get("action") == "revoke":
        revoke_support_grant(patient=patient, grant_id=request.POST.get("grant", ""), now=now)
        return redirect("support:manage")
    if request.method == "POST":
        form = InviteForm(request.POST, next_day=next_day)
        if form.is_valid():
            try:
                invitation = invite_support_person(
                    patient=patient,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    role=form.cleaned_data["role"],
                    day=form.cleaned_data["day"],
                    now=now,
                )
            except FieldError as error:
                add_field_error(form, error)
                status = 400
            else:
                link = request.build_absolute_uri(
                    reverse("support:accept", kwargs={"token": invitation.token})
                )
                form = InviteForm(next_day=next_day)
        else:
            status = 400
    grants = [(g, _state(g, now)) for g in patient_grants(patient)[:50]]
    return render(
        request,
        "support/manage.html",
        {"patient": patient, "form": form, "link": link, "grants": grants},
        status=status,
    )


def _state(grant: SupportGrant, now: dt.datetime) -> str:
    if grant.revoked_at is not None:
        return "ended by you"
    if is_active(grant, now):
        return "can see it now"
    return "not started yet" if now < grant.valid_from else "ended"


def _ended(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    record_access_event(action="read", outcome="denied", object_type="support_link", object_id="")
    return render(request, "support/ended.html", status=404)


@login_not_required
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """A support person opens their link: it is swapped for a session, so the secret leaves the address bar."""
    grant = open_support_link(token=token[:64], now=timezone.now())
    if grant is None:
        return _ended(request)
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(grant.public_id)
    record_access_event(
        action="read",
        outcome="granted",
        patient=grant.patient,
        object_type="support_grant",
        object_id=str(grant.public_id),
    )
    return redirect("support:page")


@login_not_required
def page(request: HttpRequest) -> HttpResponse:
    """What the support person may see today; a companion's link ends with the treatment day."""
    now = timezone.now()
    grant = active_grant(request.session.get(SESSION_KEY, ""), now)
    if grant is None:
        return _ended(request)
    record_access_event(
        action="read",
        outcome="granted",
        patient=grant.patient,
        object_type="support_grant",
        object_id=str(grant.public_id),
    )
    companion = grant.role == SupportGrant.Role.DAY_COMPANION
    context = companion_context(grant, now) if companion else supporter_context(grant, now)
    # The instructions sheet's own context (rules, what is normal, red flags) for its template.
    context.update(context.get("instructions") or {})
    return render(
        request,
        "support/page.html",
        {
            "grant": grant,
            "patient": grant.patient,
            "clinic": grant.patient.clinic,
            "companion": companion,
            **context,
        },
    )


@login_not_required
def checkin(request: HttpRequest) -> HttpResponse:
    """A companion reports how the patient is, on their behalf: triaged like the patient's own check-in
    (a red flag raises the alert and shows the emergency screen), marked in its note as reported by them.

    The form is for a frightened person on a phone: the emergency call first and large, the serious
    signs next, and the Send bar in sight as soon as something is ticked. As on the patient's form no
    strength is preset: an everyday sign left at "How strong? Choose" is asked again (nothing is
    stored), unless a serious sign is sent with it; a serious sign is sent with its strength "not
    given", never held back for it."""
    now = timezone.now()
    grant = active_grant(request.session.get(SESSION_KEY, ""), now)
    if grant is None or grant.role != SupportGrant.Role.DAY_COMPANION:
        return _ended(request)
    if request.method != "POST":
        _audit_grant(grant, action="read", outcome="granted")
        return render(request, "support/checkin.html", _report_context(grant, Picked(), uuid.uuid4().hex))
    key = request.POST.get("idempotency_key", "")[:64]
    chosen = [s[:60] for s in request.POST.getlist("symptom")[:40]]
    picked = Picked(severities={s: request.POST.get(f"severity_{s}", "")[:20] for s in chosen})
    reports, picked = checked(picked)
    error = ""
    if not picked.errors:
        try:
            outcome = report_on_behalf(grant=grant, idempotency_key=key, reports=reports, now=now)
        except FieldError as failure:
            error = about_them(field_message(failure.field, failure.message))
        else:
            _audit_grant(grant, action="write", outcome="granted")
            return _report_answer(request, grant, outcome.checkin, now)
    _audit_grant(grant, action="write", outcome="denied")
    context = _report_context(grant, picked, key or uuid.uuid4().hex, error=error)
    return render(request, "support/checkin.html", context, status=400)


def _audit_grant(grant: SupportGrant, *, action: str, outcome: str) -> None:
    record_access_event(
        action=action,
        outcome=outcome,
        patient=grant.patient,
        object_type="support_grant",
        object_id=str(grant.public_id),
    )


def _report_context(grant: SupportGrant, picked: Picked, key: str, *, error: str = "") -> dict[str, object]:
    """The companion's report form, with what was sent kept when it comes back: ticks, strengths, and
    each row's refusal in the words of a third person, listed at the top with a link to its field."""
    known = kb.knowledge()

    def row(entry: Any) -> dict[str, object]:
        refusal = picked.errors.get(entry.id, "")
        return {
            "id": entry.id,
            # The core names them to the patient ("Not able to look after yourself"); the companion
            # reads them about the patient.
            "name": about_them(entry.name),
            "checked": entry.id in picked.severities,
            "severity": picked.severities.get(entry.id, ""),
            "error": about_them(refusal),
        }

    effects = [row(e) for e in known.side_effects.values()]
    red_flags = [row(f) for f in known.red_flags.values()]
    summary = [{"href": f"#sev-{e['id']}", "message": e["error"]} for e in effects if e["error"]]
    patient = grant.patient
    return {
        "grant": grant,
        "patient": patient,
        "clinic": patient.clinic,
        "name": short_name(patient),
        "emergency_call": tel(patient.clinic.emergency_number),
        "effects": effects,
        "red_flags": red_flags,
        "severities": SEVERITIES,
        "idempotency_key": key,
        "error": error,
        "error_summary": summary,
    }


def _report_answer(request: HttpRequest, grant: SupportGrant, checkin: Any, now: dt.datetime) -> HttpResponse:
    patient = grant.patient
    level = Level(checkin.triage_level)
    return render(
        request,
        "support/checkin_answer.html",
        {
            "grant": grant,
            "patient": patient,
            "clinic": patient.clinic,
            "name": short_name(patient),
            "answer": companion_answer(checkin.triage_result, patient.clinic, now),
            "emergency_call": tel(patient.clinic.emergency_number),
            "emergency": level >= Level.URGENT,
            "contact_clinic": Level.LONGER_THAN_EXPECTED <= level < Level.URGENT,
        },
    )


@staff_required
def message_checkin(request: AuthenticatedRequest, patient_id: str, message_id: str) -> HttpResponse:
    """The care team records a patient's message as a check-in: they tick the symptoms it describes
    (the patient's open ones start ticked, since a check-in leaves out only what is gone)."""
    now = timezone.now()
    patient = access_patient(request.user, patient_id, action="write" if request.method == "POST" else "read")
    message = thread_message(patient, message_id)
    if message is None or message.author_kind != Message.Author.PATIENT:
        raise Http404("No such message")
    open_now = {
        s.symptom_id: s.severity for s in patient_symptoms(patient=patient).filter(resolved_at__isnull=True)
    }
    status, error = 200, ""
    if request.method == "POST":
        chosen = [s[:60] for s in request.POST.getlist("symptom")[:40]]
        reports = [
            ReportIn(symptom_id=s, severity=request.POST.get(f"severity_{s}", "mild")[:20]) for s in chosen
        ]
        try:
            record_message_as_checkin(message=message, user=request.user, reports=reports, now=now)
        except FieldError as failure:
            status, error = 400, failure.message
            open_now = {r.symptom_id: r.severity for r in reports}
        else:
            flash.success(request, "The message is recorded as a check-in.")
            return redirect("checkins:staff_checkins", patient_id=patient.public_id)
    known = kb.knowledge()
    return render(
        request,
        "support/message_checkin.html",
        {
            "patient": patient,
            "message": message,
            "red_flags": [(f, f.id in open_now) for f in known.red_flags.values()],
            "effects": [
                (e, e.id in open_now, open_now.get(e.id, "mild")) for e in known.side_effects.values()
            ],
            "severities": SEVERITIES,
            "error": error,
        },
        status=status,
    )
