"""The clinic alerts inbox: list, one alert, acknowledge with a note, resolve, escalation policy."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import clinic_admin_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.alerts.forms import InboxFilterForm, NoteForm, PolicyForm, ResolveForm
from ketacare.alerts.models import HOLDS_NEXT_DOSE, Alert, AlertPolicy
from ketacare.alerts.selectors import access_alert, clinic_inbox, clinic_prescribers, record_alert_read
from ketacare.alerts.services import (
    AlertTransitionError,
    ResolutionIncomplete,
    acknowledge_alert,
    escalation_times,
    is_emergency_or_suicide_risk,
    needs_resolution_note,
    record_refused_action,
    resolve_alert,
    set_alert_policy,
)
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic, escalation_recipient, is_prescriber
from ketacare.core import knowledge as kb
from ketacare.core.display import name_for
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.patients.facts import at_the_clinic
from ketacare.patients.models import Patient

# What a row of the inbox shows (alerts/templatetags/alert_rows.py): loading only these columns of the
# alert, its patient and its staff halves the cost of reading a page of 50 alerts.
INBOX_COLUMNS = (
    "public_id",
    "clinic_id",
    "source",
    "severity",
    "title",
    "detail",
    "state",
    "dedupe_key",
    "created_at",
    "note",
    "resolution_note",
    "resolution_outcome",
    "resolution_assessed_by",
    "escalated_at",
    "evidence",
    "patient__public_id",
    "patient__full_name",
    "assignee__email",
    "assignee__full_name",
    "escalated_to__email",
    "escalated_to__full_name",
)


@staff_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """Alerts of the active clinic, most severe then oldest first, filtered by state and source."""
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    form = InboxFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    alerts = clinic_inbox(
        user=request.user,
        clinic=clinic,
        state=data.get("state") or "active",
        source=data.get("source") or "",
        mine=bool(data.get("mine")),
    )
    page = Paginator(alerts.only(*INBOX_COLUMNS), 50).get_page(request.GET.get("page"))
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="alert_inbox")
    return render(
        request,
        "alerts/inbox.html",
        {
            "form": form,
            "page": page,
            "escalation": escalation_times(clinic.pk),
            "note_form": NoteForm(),
            # Every alert here is of the active clinic: one answer says who may resolve a held dose.
            "is_prescriber": is_prescriber(request.user, clinic.pk),
        },
    )


def alert_detail(request: AuthenticatedRequest, alert_id: str) -> HttpResponse:
    """One alert with its evidence and the acknowledge/resolve forms (staff of its clinic)."""
    return _detail_page(request, access_alert(request.user, alert_id, action="read"))


# Paperwork alerts: the page where the work is done, by URL name (the alerts app stands below the record
# apps and never imports them). Their page links there instead of offering to write to the patient: a
# form the clinic owes is not the patient's to do.
WORK_PAGES: dict[str, tuple[str, str]] = {
    Alert.Source.REMS_DEADLINE: (
        "treatments:rems_due",
        "Open the REMS forms (every form due, with a link to complete each)",
    ),
}

# A questionnaire rule's advice is written for answers given at a visit ("... before the visit ends").
# When the patient is not in the clinic now there is no visit to end: the page shows the advice without
# that clause, and its "What to do" says when to do it instead (on reaching the patient).
VISIT_CLAUSE = re.compile(r",? before the visit ends(?=[.;]|$)")

# Evidence the alert's page shows in "What to do" and "Reach the patient", not as the rule behind it.
# Evidence the page shows outside the rule section (the hold flag shows as "only a prescriber resolves").
SHOWN_ABOVE = {"answered", "answered_at", "red_flags", "thread_url", HOLDS_NEXT_DOSE}


def _detail_page(
    request: AuthenticatedRequest,
    alert: Alert,
    *,
    resolve_errors: dict[str, str] | None = None,
    resolve_values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The alert's page; ``resolve_errors`` (by field) re-show the resolve form with why it was refused,
    filled with what was sent (``resolve_values``), so nothing typed is lost, and list each refusal at
    the top of the page, linked to its field (the form is far below the alert)."""
    zone = alert.clinic.zone
    scores = [
        {**s, "at": _on_clinic_clock(str(s.get("at", "")), zone)} for s in alert.evidence.get("scores", [])
    ]
    here = alert.patient is not None and alert.state != Alert.State.RESOLVED and at_the_clinic(alert.patient)
    answers = _where_answered(alert.evidence, zone, raised_at=alert.created_at)
    work = WORK_PAGES.get(alert.source)
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "note_form": NoteForm(),
            "scores": scores,
            "zone": alert.clinic.time_zone,
            "is_prescriber": is_prescriber(request.user, alert.clinic_id),
            # A check-in's alert opens the check-in it came from; an open alert about a patient in
            # the chair says so, for the staff are a few steps away.
            "from_checkin": alert.patient is not None and alert.dedupe_key.startswith("checkin:"),
            "at_the_clinic": here,
            "answers": answers,
            "detail": _one_statement_a_line(
                VISIT_CLAUSE.sub("", alert.detail) if answers and not here else alert.detail
            ),
            "work_page": {"url": reverse(work[0]), "words": work[1]} if work else None,
            # An emergency or suicide-risk alert escalates to the clinic's prescribers (services).
            "escalated_to_prescribers": bool(alert.escalated_at) and is_emergency_or_suicide_risk(alert),
            "thread_url": _thread_url(alert.evidence),
            "red_flags": _red_flags(alert.evidence),
            # The rule section shows the rest of the evidence: the facts above are not a rule.
            "rule_evidence": bool(set(alert.evidence) - SHOWN_ABOVE),
            "phones": _phones(alert.patient) if alert.patient is not None else [],
            "resolve_errors": resolve_errors or {},
            "resolve_values": resolve_values or {},
            "resolve_summary": _resolve_summary(alert, resolve_errors or {}),
        },
        status=status,
    )


# The resolve form's fields top to bottom, with the prefix of each one's id (templatetags/alert_rows.py).
RESOLVE_FIELD_IDS = {"outcome": "routcome", "assessed_by": "rassessed", "note": "rnote"}


def _resolve_summary(alert: Alert, errors: dict[str, str]) -> list[dict[str, str]]:
    """Each refusal of the resolve form in the form's order, with a link to its field."""
    return [
        {"message": errors[field], "href": f"#{prefix}-{alert.public_id}"}
        for field, prefix in RESOLVE_FIELD_IDS.items()
        if field in errors
    ]


# A quotation closed and a new statement begun on the same line ("…without me” How worried they are:
# …"): the detail is read one statement a line. Shown, not stored: the API keeps the raising record's text.
QUOTE_THEN_STATEMENT = re.compile(r"” +(?=[A-Z])")


def _one_statement_a_line(detail: str) -> str:
    return QUOTE_THEN_STATEMENT.sub("”\n", detail)


def _on_clinic_clock(stored_utc: str, zone: zoneinfo.ZoneInfo) -> str:
    """An evidence time (stored as UTC "YYYY-MM-DD HH:MM") on the clinic's clock, as the staff read it."""
    try:
        moment = dt.datetime.strptime(stored_utc, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    except ValueError:  # not a stored time: shown as written
        return stored_utc
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


# An alert raised this long after the answers it is about (a course rule or a job that ran later) says
# both times, so nobody reads the answers as just given (clinic practice).
ANSWERS_OLDER_THAN_ALERT = dt.timedelta(hours=1)


def _where_answered(
    evidence: dict[str, Any], zone: zoneinfo.ZoneInfo, *, raised_at: dt.datetime
) -> dict[str, Any] | None:
    """Where and when a questionnaire's answers came from, in words, on the clinic's clock; when the
    alert came much later than the answers, when it was raised too."""
    where = evidence.get("answered")
    if where not in ("app", "chair"):
        return None
    answered_at = _stored_moment(str(evidence.get("answered_at", "")))
    at = _clinic_day_and_time(answered_at, zone) if answered_at else ""
    words = (
        "Entered at the chair during a session" if where == "chair" else "Answered by the patient in the app"
    ) + (f", on {at}" if at else "")
    if answered_at is not None and raised_at - answered_at >= ANSWERS_OLDER_THAN_ALERT:
        words += (
            f"; the alert was raised on {_clinic_day_and_time(raised_at, zone)}, "
            f"{_how_long(raised_at - answered_at)} later"
        )
    return {"at_home": where == "app", "words": words}


def _stored_moment(stored_utc: str) -> dt.datetime | None:
    """A stored UTC "YYYY-MM-DD HH:MM" as a moment (None if unreadable)."""
    try:
        return dt.datetime.strptime(stored_utc, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _clinic_day_and_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A moment as staff read it on the clinic's clock: "Wednesday 9 December, 01:30"."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def _how_long(gap: dt.timedelta) -> str:
    """A gap of an hour or more in whole hours, or in days from two days on: "17 hours", "3 days"."""
    hours = int(gap.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _red_flags(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The red flags a patient's words named, from the knowledge base: plain name, level and sources."""
    flags = []
    for red_flag_id in evidence.get("red_flags") or []:
        try:
            flag = kb.get_red_flag(str(red_flag_id))
        except kb.UnknownIdError:
            flags.append(
                {
                    "name": name_for(str(red_flag_id)),
                    "level": "",
                    "level_words": "",
                    "sources": [],
                    "evidence": "",
                }
            )
            continue
        # The level as the alert badges say it ("Urgent"), never the knowledge base's code.
        level = flag.level.value if flag.level.value in Alert.Severity.values else ""
        flags.append(
            {
                "name": flag.name,
                "level": level,
                "level_words": Alert.Severity(level).label if level else "",
                "sources": list(flag.sources),
                "evidence": flag.evidence.value,
            }
        )
    return flags


def _phones(patient: Patient) -> list[dict[str, str]]:
    """The numbers to call about the patient (loaded with the alert, whose read is audited)."""
    numbers = [("Patient", patient.phone)]
    contact = patient.emergency_contact_name.strip()
    numbers.append(
        (
            f"Emergency contact ({contact})" if contact else "Emergency contact",
            patient.emergency_contact_phone,
        )
    )
    return [
        {"label": label, "number": number.strip(), "tel": re.sub(r"[^0-9+]", "", number)}
        for label, number in numbers
        if number.strip()
    ]


def _thread_url(evidence: dict[str, Any]) -> str:
    """The patient's message thread the raising code linked (a path of this site only, never elsewhere)."""
    url = str(evidence.get("thread_url") or "")
    return url if url.startswith("/clinic/") and "//" not in url else ""


def _transition(request: AuthenticatedRequest, alert_id: str, *, resolve: bool) -> HttpResponse:
    # The write's own row is the service's, once it is done; anything short of it is a read (or the
    # refusal's denied row), so the audit report never shows a refused write as granted.
    alert = access_alert(request.user, alert_id, action="write", record_grant=False)
    form = ResolveForm(request.POST) if resolve else NoteForm(request.POST)
    back = request.POST.get("next") == "inbox"
    target = reverse("alerts:inbox") if back else reverse("alerts:detail", args=[alert.public_id])
    if not form.is_valid():
        record_alert_read(request.user, alert)
        if resolve and needs_resolution_note(alert):
            # The resolve form of an emergency or suicide-risk alert shows each refusal beside its field.
            refused = {name: str(errors[0]) for name, errors in form.errors.items()}
            sent = {name: request.POST.get(name, "") for name in ("note", "outcome", "assessed_by")}
            return _detail_page(request, alert, resolve_errors=refused, resolve_values=sent, status=400)
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(target)
    try:
        if resolve:
            resolve_alert(
                alert=alert,
                user=request.user,
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data["outcome"],
                assessed_by=form.cleaned_data["assessed_by"],
            )
            messages.success(request, f"Resolved: {alert.title}")
        else:
            acknowledge_alert(alert=alert, user=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"Acknowledged: {alert.title}")
    except ResolutionIncomplete as error:
        # The alert's page again, its resolve form saying what each field must hold and keeping what was
        # typed; nothing was written.
        record_alert_read(request.user, alert)
        sent = {name: str(form.cleaned_data.get(name) or "") for name in ("note", "outcome", "assessed_by")}
        return _detail_page(request, alert, resolve_errors=error.problems, resolve_values=sent, status=400)
    except AlertTransitionError as exc:
        record_alert_read(request.user, alert)
        messages.error(request, str(exc))
    except NotPermitted as error:
        return _refused(request, alert, error, back_url=target)
    return redirect(target)


def _refused(
    request: AuthenticatedRequest, alert: Alert, error: NotPermitted, *, back_url: str
) -> HttpResponse:
    """A role refusal (403): why, and the way back; nothing was written but the denied audit row."""
    match = request.resolver_match
    record_refused_action(alert, match.view_name if match else "")
    return render(
        request, "alerts/refused.html", {"message": error.message, "back_url": back_url}, status=403
    )


@require_POST
def acknowledge(request: AuthenticatedRequest, alert_id: str) -> HttpResponse:
    """Acknowledge an open alert with a note."""
    return _transition(request, alert_id, resolve=False)


@require_POST
def resolve(request: AuthenticatedRequest, alert_id: str) -> HttpResponse:
    """Resolve an alert (an open one needs a note: it is acknowledged at the same time).

    An emergency or suicide-risk alert needs the outcome, who assessed the patient and a note of at
    least 20 characters: without them the alert's page is shown again (400), its resolve form saying
    what each field must hold.
    """
    return _transition(request, alert_id, resolve=True)


@clinic_admin_required
def policy(request: AuthenticatedRequest) -> HttpResponse:
    """The clinic admin sets how long an alert may stay unacknowledged before it escalates: emergencies
    and suicide risk (to the prescribers), and every other alert (to the escalation contact)."""
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                set_alert_policy(
                    clinic=clinic,
                    escalate_after_min=form.cleaned_data["escalate_after_min"],
                    emergency_escalate_after_min=form.cleaned_data["emergency_escalate_after_min"],
                )
            except FieldError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Escalation times saved.")
                return redirect("alerts:policy")
        status = 400
    else:
        times = escalation_times(clinic.pk)
        form = PolicyForm(
            initial={"escalate_after_min": times.routine, "emergency_escalate_after_min": times.emergency}
        )
    return render(
        request,
        "alerts/policy.html",
        {
            "form": form,
            "defaults": {
                "routine": AlertPolicy.DEFAULT_ESCALATE_AFTER_MIN,
                "emergency": AlertPolicy.DEFAULT_EMERGENCY_ESCALATE_AFTER_MIN,
            },
            "ranges": {
                "routine": AlertPolicy.ESCALATE_MIN_RANGE,
                "emergency": AlertPolicy.EMERGENCY_ESCALATE_MIN_RANGE,
            },
            "contact": escalation_recipient(clinic),
            "prescribers": clinic_prescribers(clinic.pk),
        },
        status=status,
    )


__all__ = ["Alert", "acknowledge", "alert_detail", "inbox", "policy", "resolve"]
