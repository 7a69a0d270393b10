"""The chair-side run-sheet page and the context every run-sheet response renders."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from django import forms as django_forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.gates import staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.alerts.models import Alert
from ketacare.alerts.selectors import patient_alerts, safety_rank, severity_rank
from ketacare.clinics.selectors import active_membership
from ketacare.core import course
from ketacare.core.course.steps import describe_doses
from ketacare.core.protocols import get_protocol
from ketacare.patients import facts
from ketacare.treatments import forms, selectors
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors.run_sheet import SafetyAlertCriterion, discharge_blocking_alerts
from ketacare.treatments.timeline import build_timeline
from ketacare.treatments.views._common import now_local, session_zone

# The run-sheet lists this many of the patient's open alerts, most severe first; the rest are counted and
# linked ("and 2 more"): a screen-length limit, not a clinical one.
OPEN_ALERTS_SHOWN = 10


def open_alerts_context(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """The patient's alerts opened in the last 24 hours, in the inbox's order (most severe, then the
    patient's own safety before the clinic's paperwork, then oldest first), and how many are not shown."""
    alerts = list(
        patient_alerts(patient=session.patient)
        .filter(state=Alert.State.OPEN, created_at__gte=now - dt.timedelta(hours=24))
        .order_by(severity_rank(), safety_rank(), "created_at", "id")
        .only("public_id", "title", "severity", "source", "created_at")
    )
    return {
        "open_alerts": alerts[:OPEN_ALERTS_SHOWN],
        "open_alerts_more": max(0, len(alerts) - OPEN_ALERTS_SHOWN),
    }


def discharge_form(
    request: AuthenticatedRequest, session: TreatmentSession, data: Any = None
) -> forms.DischargeForm:
    """The discharge form for this user and route: the override only for a prescriber, with the route's
    hard minimum named when its observation rule is not overridable (esketamine)."""
    membership = active_membership(request)
    rules = selectors.route_rules(session).observation
    return forms.DischargeForm(
        data,
        prescriber=membership is not None and membership.role == "prescriber",
        hard_minimum_min=None if rules.overridable else selectors.observation_minutes(session),
    )


def stop_default(session: TreatmentSession, now: dt.datetime) -> dt.datetime:
    """The time "Dosing ended at" opens with: now on the clinic's wall clock, to the minute the field
    shows, never before the running infusion started (a start recorded with seconds)."""
    zone = selectors.clinic_zone(session.clinic)
    shown = now.astimezone(zone).replace(second=0, microsecond=0)
    running = [d for d in selectors.valid_doses(session) if d.ended_at is None]
    if running and shown < running[-1].started_at:
        start = running[-1].started_at.astimezone(zone)
        shown = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return shown


def end_form(
    session: TreatmentSession, data: Any = None, *, now: dt.datetime | None = None
) -> forms.EndDosingForm:
    """The end-of-dosing form; for a running infusion, changing "Dosing ended at" refreshes the line that
    says what stopping then delivers (the same figures the service records)."""
    protocol = get_protocol(session.protocol_id)
    default = stop_default(session, now or timezone.now())
    form = forms.EndDosingForm(
        data,
        zone=session_zone(session),
        device=protocol.device is not None,
        initial={"ended_at": default.strftime("%Y-%m-%dT%H:%M")},
    )
    if protocol.dose.infusion_minutes:
        url = reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
        form.fields["ended_at"].widget.attrs.update(
            {
                "hx-get": f"{url}?panel=stop",
                "hx-trigger": "change",
                "hx-target": "#stop-preview",
                "hx-swap": "outerHTML",
                "hx-include": "this",
            }
        )
    return form


def dose_form(request: AuthenticatedRequest, session: TreatmentSession, data: Any = None) -> forms.DoseForm:
    """The dose form; on a plan made under a prescriber's override of a step still missing, or under a
    prescriber's override of the hold on a dose less than 24 h after another, the first dose asks the
    person recording it to confirm they have read the override (not its author)."""
    protocol = get_protocol(session.protocol_id)
    device = protocol.device
    tz = session_zone(session)
    read_needed = (
        selectors.gate_override_read_needed(session, request.user) is not None
        or selectors.interval_override_read_needed(session, request.user, timezone.now()) is not None
    )
    return forms.DoseForm(
        data,
        zone=tz,
        one_time=device is not None or selectors.given_at_one_time(protocol),
        gate_override_read=read_needed,
        initial={
            "started_at": now_local(tz),
            "dose_mg": device.mg_per_device if device else session.planned_dose_mg,
        },
    )


def stop_preview(
    session: TreatmentSession, ended_at: dt.datetime | None, now: dt.datetime
) -> dict[str, Any] | None:
    """What stopping the running infusion at ``ended_at`` (blank: now) delivers, computed as
    `services.end_dosing` records it (`selectors.infusion_stop`); None when no infusion is running."""
    if session.state != TreatmentSession.State.DOSING:
        return None
    running = [d for d in selectors.valid_doses(session) if d.ended_at is None]
    if not running:
        return None
    dose = running[-1]
    at = ended_at or now
    stop = selectors.infusion_stop(session.protocol_id, float(dose.dose_mg), dose.started_at, at)
    if stop is None:
        return None
    return {"stop": stop, "before_start": at < dose.started_at, "started_at": dose.started_at}


def _end_time(form: django_forms.Form, session: TreatmentSession, now: dt.datetime) -> dt.datetime | None:
    """The stop time the end-of-dosing form holds: what the nurse sent (blank: now), else its default."""
    if form.is_bound:
        value = (getattr(form, "cleaned_data", None) or {}).get("ended_at")
        return value if isinstance(value, dt.datetime) else None
    return stop_default(session, now)


def sheet_context(request: AuthenticatedRequest, session: TreatmentSession, **bound: Any) -> dict[str, Any]:
    """The run-sheet's template context; `bound` replaces entries (a bound form with its errors, a refusal)."""
    # The rules below read the same settings and entries: once each for this render (nothing here writes
    # them; a view's own write comes before this call).
    with selectors.one_read_per_render():
        return _sheet_context(request, session, **bound)


def _sheet_context(request: AuthenticatedRequest, session: TreatmentSession, **bound: Any) -> dict[str, Any]:
    now = timezone.now()
    tz = session_zone(session)
    default_time = {"measured_at": now_local(tz)}
    protocol = get_protocol(session.protocol_id)
    rules = selectors.route_rules(session)
    # First, so the rules below find the valid entries among these rows instead of reading them again.
    vitals = selectors.every_vital(session)
    doses = selectors.every_dose(session)
    observations = selectors.every_observation(session)
    state = selectors.effective_state(session, now)
    ready = selectors.readiness(session, now, ride_present=True, instructions_given=True)
    required = selectors.observation_minutes(session)
    raw_minutes = selectors.minutes_since_dose_end(session, now)
    # Whole minutes, rounded down, as the discharge checklist counts them: clock and checklist agree.
    minutes = math.floor(raw_minutes) if raw_minutes is not None else None
    device = protocol.device
    next_device_at = None
    if device is not None and doses:
        next_device_at = doses[-1].started_at + dt.timedelta(minutes=device.wait_between_devices_minutes)
    membership = active_membership(request)
    flags = [f for v in vitals if not v.entered_in_error and v.kind == "in_session" for f in v.flags]
    # One infusion runs at a time: while one runs the dose form gives way to "stop it first".
    infusion_running = (
        session.state == TreatmentSession.State.DOSING
        and device is None
        and any(d.ended_at is None and not d.entered_in_error for d in doses)
    )
    latest = [v for v in vitals if not v.entered_in_error and v.kind == "in_session"]
    context = {
        "session": session,
        "patient": session.patient,
        "protocol": protocol,
        "rules": rules,
        "state": state,
        "state_label": dict(TreatmentSession.State.choices)[state],
        "now": now,
        "zone": tz,
        "vitals": vitals,
        # Each reading with the phase it was taken in: before the dose, during dosing, or after it.
        "vital_rows": [(v, selectors.vital_phase(session, v, protocol)) for v in vitals],
        "infusion_running": infusion_running,
        # The prescriber's eligibility note and the screening's precautions, before anyone doses.
        "eligibility": facts.eligibility_precautions(session.patient),
        "doses": doses,
        "observations": observations,
        "adverse_events": list(session.adverse_events.order_by("occurred_at", "id")),
        "checkpoints": selectors.checkpoints(session, now),
        "timeline": build_timeline(session, now),
        "readiness": ready,
        "unmet": list(ready.unmet) if ready else [],
        "required_minutes": required,
        "minutes_observed": minutes,
        "minutes_left": max(0, required - minutes) if minutes is not None else None,
        "earliest_discharge_at": (
            session.dose_ended_at + dt.timedelta(minutes=required) if session.dose_ended_at else None
        ),
        # What the patient reported today (a red flag on their phone while in the chair) must reach
        # the people at the chair, not only the inbox.
        **open_alerts_context(session, now),
        # Before the dose, the same alerts hold it (services.dosing refuses): said before anyone tries.
        "dose_blocking_alerts": discharge_blocking_alerts(session)
        if session.state == TreatmentSession.State.CHECKED_IN
        else [],
        # Each alert that holds discharge, linked (the checklist and a refusal name them).
        "safety_alerts": [c for c in (ready.unmet if ready else ()) if isinstance(c, SafetyAlertCriterion)],
        "latest_flags": latest[-1].flags if latest else [],
        "flag_count": len(flags),
        "next_device_at": next_device_at,
        "device": device,
        "is_prescriber": membership is not None and membership.role == "prescriber",
        "checkin_form": forms.CheckInForm(zone=tz, initial={"checked_in_at": now_local(tz)}),
        "vitals_form": forms.VitalsForm(zone=tz, initial=default_time),
        "hold_form": forms.HoldOverrideForm(),
        "dose_form": dose_form(request, session),
        "end_form": end_form(session, now=now),
        "observation_form": forms.ObservationForm(zone=tz, initial={"observed_at": now_local(tz)}),
        "ae_form": forms.AdverseEventForm(zone=tz, initial={"occurred_at": now_local(tz)}),
        "discharge_form": discharge_form(request, session),
        "confirmations_form": forms.CheckInConfirmationsForm(
            initial={
                "fasting_confirmed": session.fasting_confirmed,
                "ride_home_confirmed": session.ride_home_confirmed,
            }
        ),
        "cancel_form": forms.CancelForm(),
        "refused": None,
        **pathway_context(session, now),
    }
    if "pre_dose" not in bound:
        context.update(pre_dose_context(session))
    if "recovery" not in bound:  # the live panel passes recovery=None: the estimate is not in it
        context["recovery"] = selectors.session_recovery_estimate(session)
    context.update(bound)
    # From the time "Dosing ended at" holds (its default, or what the nurse sent with a refusal): the line
    # and the refusal under the field give the same minutes and milligrams.
    context["stop_preview"] = stop_preview(session, _end_time(context["end_form"], session, now), now)
    if context["stop_preview"] is not None:
        # Calm until an early stop is sent without its reason: then the line is the refusal's figure.
        ended = context["end_form"]
        context["stop_preview"]["refused"] = ended.is_bound and bool(ended.errors.get("reason"))
    refused = context.get("refused")
    if refused is not None:
        # A refusal lists (code, message); an alert that held it is linked, as in the checklist.
        links = {c.message: c.alert_id for c in context["safety_alerts"]}
        context["refused_items"] = [(message, links.get(message, "")) for _, message in refused.unmet]
        # A nurse learns what a prescriber can do about the rest: which criteria no override passes.
        context["refused_hard"] = [
            message for code, message in refused.unmet if selectors.not_overridable(session, code)
        ]
        context["refused_overridable"] = len(context["refused_hard"]) < len(refused.unmet)
    for key, value in context.items():
        # Several forms share field names (started_at, ended_at): give each its own element ids.
        if key.endswith("_form") and isinstance(value, django_forms.Form):
            value.auto_id = f"{key}_%s"
    return context


def pathway_context(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """The go/no-go on the run-sheet: open holds, the overridden ones, what an early stop delivers."""
    holds: list[Any] = []
    overridden: list[Any] = []
    questionnaires = None
    if session.state == TreatmentSession.State.CHECKED_IN:
        covered = set(session.hold_overridden_codes or []) if session.hold_overridden_at else set()
        for hold in selectors.dose_readiness(session, now).holds:
            if hold.code == selectors.QUESTIONNAIRES_DUE:
                # The nurse's own step (enter or skip each), said apart from the holds a prescriber can pass.
                questionnaires = hold
            else:
                (overridden if hold.code in covered else holds).append(hold)
    discharged_after = None
    if session.discharged_at is not None and session.dose_ended_at is not None:
        discharged_after = math.floor((session.discharged_at - session.dose_ended_at).total_seconds() / 60)
    options = (
        selectors.label_dose_options(session, now)
        if session.state in (TreatmentSession.State.CHECKED_IN, TreatmentSession.State.DOSING)
        else None
    )
    gate = selectors.gate_override_now(session)
    return {
        **interval_context(session, now),
        "open_holds": holds,
        "questionnaires_due": questionnaires,
        "overridden_holds": overridden,
        "discharged_after_min": discharged_after,
        "gate_override": gate.plan if gate is not None else None,
        # The steps the override still stands in for, and those intake has recorded since.
        "gate_override_now": gate,
        "gate_override_read_needed": session.state == TreatmentSession.State.CHECKED_IN
        and gate is not None
        and bool(gate.still_missing),
        "dose_options": options,
        "dose_options_why": _dose_options_why(options),
    }


def interval_context(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """Another dose of the patient less than 24 h from this session's: before the check-in of a session
    due today, said with the check-in (the hold itself shows once checked in, on the Pre-dose card);
    after the dose, kept on the record with the time between them. Nothing for a cancelled session."""
    state = session.state
    if state == TreatmentSession.State.SCHEDULED and selectors.due_today(session, now):
        at = now
    elif session.dose_started_at is not None and state != TreatmentSession.State.CANCELLED:
        at = session.dose_started_at
    else:
        return {"interval_dose": None}
    near = selectors.nearby_dose(session, at)
    if near is None:
        return {"interval_dose": None}
    zone = selectors.clinic_zone(session.clinic)
    return {
        "interval_dose": {
            # Before the dose, against today; on the record, the date itself (read again next week).
            "words": near.words(now if state == TreatmentSession.State.SCHEDULED else None, zone),
            "gap": selectors.duration_words(near.gap(at)),
            "hours": f"{selectors.MIN_INTERVAL.total_seconds() / 3600:g}",
            "before_dose": state == TreatmentSession.State.SCHEDULED,
            "other_first": near.started_at <= at,
            "overridden": bool(session.hold_overridden_at)
            and selectors.INTERVAL_HOLD in (session.hold_overridden_codes or []),
        }
    }


def _dose_options_why(options: course.DoseOptions | None) -> str:
    """The core's rule without the doses it starts with ("56 mg or 84 mg after 56 mg (...)" -> "after 56 mg
    (...)"): the run-sheet names the doses once, in bold, just before it."""
    if options is None:
        return ""
    doses = describe_doses(options.allowed_mg)
    rule = options.rule
    return rule[len(doses) :].strip() if rule.startswith(doses) else rule


def pre_dose_context(
    session: TreatmentSession,
    *,
    failed: str = "",
    errors: list[str] | None = None,
    selected: dict[str, int] | None = None,
    skip_form: django_forms.Form | None = None,
) -> dict[str, Any]:
    """The questionnaires due before this session, each with its entry form (or the failed one's errors)."""
    rows = []
    crisis = []
    for item in selectors.pre_dose_questionnaires(session):
        key = str(item.assignment.public_id)
        mine = key == failed
        rows.append(
            {
                "item": item,
                "key": key,
                "idempotency_key": uuid.uuid4().hex,
                "questions": [
                    {"item": q, "number": n, "selected": (selected or {}).get(q.id) if mine else None}
                    for n, q in enumerate(item.instrument.items, 1)
                ],
                "errors": errors if mine and errors else [],
                "skip_form": skip_form
                if mine and skip_form is not None
                else forms.SkipQuestionnaireForm(auto_id=f"skip_{key}_%s"),
                "open": mine,
            }
        )
        crisis += [(item.instrument.title, alert["message"]) for alert in item.crisis_alerts]
    return {"pre_dose": rows, "pre_dose_crisis": crisis}


@staff_object_view("treatment_session", "session_id")
@require_GET
def run_sheet(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """The chair-side run-sheet; `?panel=live` is the self-refreshing clock/timeline/checklist part."""
    session = selectors.access_session(request.user, session_id)
    if request.GET.get("panel") == "stop":
        return _stop_panel(request, session)
    live = bool(request.htmx) and request.GET.get("panel") == "live"
    context = sheet_context(request, session, **({"recovery": None} if live else {}))
    if live:
        return render(request, "treatments/run_sheet.html#live", context)
    return render(request, "treatments/run_sheet.html", context)


def _stop_panel(request: AuthenticatedRequest, session: TreatmentSession) -> HttpResponse:
    """The "Stopping at" line for the time typed in "Dosing ended at" (`?panel=stop&ended_at=...`)."""
    now = timezone.now()
    form = end_form(session, request.GET)
    form.is_valid()
    context = {
        "session": session,
        "zone": session_zone(session),
        "stop_preview": stop_preview(session, _end_time(form, session, now), now),
        "end_form": form,
    }
    return render(request, "treatments/run_sheet.html#stop-preview", context)
