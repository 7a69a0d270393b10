"""Patient check-in (mobile-first, works without JavaScript), preparation checklist, staff view."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import own_patient_page, patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.alerts.selectors import patient_alerts
from ketacare.alerts.services import SUICIDE_RED_FLAGS
from ketacare.audit.services import holding_rows, transaction_with_held_rows
from ketacare.checkins.answer_box import answer_box, most_serious_first, told_us
from ketacare.checkins.forms import CheckinForm
from ketacare.checkins.gone import gone_choices, gone_minutes_ago
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.picker import Picked, checked, dose_now, picker
from ketacare.checkins.preparation import before_session_day, preparation_items, progress, session_day
from ketacare.checkins.selectors import (
    access_checkin,
    patient_checkins,
    patient_symptoms,
    preparation_ticks,
    red_flags_still_open,
)
from ketacare.checkins.services import (
    CheckinOutcome,
    ReportIn,
    answer_episode,
    before_any_dose,
    close_episode_by_clinician,
    open_episodes,
    own_words,
    submit_checkin,
    tick_preparation,
)
from ketacare.checkins.strength import strength_words
from ketacare.checkins.tips import about_the_mind, answer_tips
from ketacare.checkins.words_back import note_in_the_alert, note_to_read, said_back
from ketacare.core import knowledge as kb
from ketacare.core.free_text import screen_free_text
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.patients.facts import at_the_clinic, next_appointment, patient_route
from ketacare.patients.models import Patient
from ketacare.patients.selectors import (
    LOW_MOOD_LINE_MAX,
    LOW_MOOD_SUPPORT_MAX,
    access_patient,
    clinic_contact_for,
)

SEARCH_MAX_CHARS = 100
HOME_BP_INPUTS = ("home_systolic_mmhg", "home_diastolic_mmhg", "home_pulse_bpm")


def _own_patient(request: AuthenticatedRequest, *, action: str = "read") -> Patient:
    return access_patient(request.user, request.user.patient.public_id, action=action)


def _episode_rows(
    patient: Patient,
    now: dt.datetime,
    answers: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The rows of "Since last time": each open symptom with the "when did it go?" times it can take,
    the answer sent (a form shown again keeps it) and the refusal of that answer, if any."""
    answers = answers if answers is not None else {}
    errors = errors or {}
    return [
        {
            "e": episode,
            "choices": gone_choices(episode, now),
            "answer": answers.get(f"episode_{episode.public_id}", ""),
            "gone": answers.get(f"gone_{episode.public_id}", ""),
            "error": errors.get(str(episode.public_id), ""),
        }
        for episode in open_episodes(patient=patient)
    ]


def _form_context(
    patient: Patient,
    query: str,
    picked: Picked,
    *,
    form: CheckinForm,
    answers: Mapping[str, str] | None = None,
    episode_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    rows = _episode_rows(patient, timezone.now(), answers, episode_errors)
    lists = picker(query, picked, dose_now(patient))
    return {
        "patient": patient,
        "form": form,
        "episode_rows": rows,
        "error_summary": _error_summary(form, rows, lists),
        # In the chair, the staff a few steps away are the fastest help (see the answer page).
        "in_the_chair": at_the_clinic(patient),
        **lists,
    }


def _error_summary(
    form: CheckinForm, rows: list[dict[str, Any]], lists: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Every error of a refused check-in, in page order, each linked to its field (GOV.UK error summary)."""
    if not form.is_bound:
        return []
    summary = [{"href": "", "message": str(message)} for message in form.non_field_errors()]
    summary += [
        {"href": f"#gone-{row['e'].public_id}", "message": row["error"]} for row in rows if row["error"]
    ]
    summary += [
        {"href": f"#sev-{s['id']}" if s["needs_severity"] else f"#sym-{s['id']}", "message": s["error"]}
        for name in ("symptoms", "other_symptoms", "serious", "serious_more")
        for s in lists[name]
        if s["error"]
    ]
    return summary + form.error_links()


def _chosen(request: AuthenticatedRequest) -> Picked:
    """The ticked symptoms with their strength and "when it began" as sent ("" when left unchosen)."""
    ids = [symptom_id[:60] for symptom_id in request.POST.getlist("symptom")[:40]]
    return Picked(
        severities={i: request.POST.get(f"severity_{i}", "")[:20] for i in ids},
        onsets={i: request.POST.get(f"onset_{i}", "")[:20] for i in ids},
    )


@patient_required
def checkin(request: AuthenticatedRequest) -> HttpResponse:
    """Open symptoms first ("still there?"), then anything new, then "Something serious?"; the answer (and
    any emergency screen) comes at once, on the check-in's own page: a sent check-in is stored, then the
    browser is sent there with a 303 (Post/Redirect/Get: a refresh or the back button never posts it
    again). A check-in that cannot be stored comes back on the form with what to correct (400)."""
    if request.method != "POST":
        patient = _own_patient(request)
        query = request.GET.get("q", "")[:SEARCH_MAX_CHARS]
        form = CheckinForm(initial={"idempotency_key": uuid.uuid4().hex})
        return render(request, "checkins/checkin.html", _form_context(patient, query, Picked(), form=form))
    picked = _chosen(request)
    query = request.POST.get("q", "")[:SEARCH_MAX_CHARS]
    if request.POST.get("action") == "search":
        patient = _own_patient(request)
        if request.htmx:
            return render(request, "checkins/_search_results.html", picker(query, picked, dose_now(patient)))
        key = request.POST.get("idempotency_key", "")[:IDEMPOTENCY_KEY_MAX_CHARS]
        form = CheckinForm(
            initial={
                "idempotency_key": key or uuid.uuid4().hex,
                "mood": request.POST.get("mood", "")[:3],
                "note": request.POST.get("note", ""),
                "other_text": request.POST.get("other_text", ""),
                "worry": request.POST.get("worry", "")[:10],
                **{f: request.POST.get(f, "")[:4] for f in HOME_BP_INPUTS},
            }
        )
        context = _form_context(patient, query, picked, form=form, answers=request.POST)
        return render(request, "checkins/checkin.html", context)
    # The access's audit row waits for the check-in's transaction and commits in it.
    with holding_rows():
        patient = _own_patient(request, action="write")
        form = CheckinForm(request.POST)
        now = timezone.now()
        gone, gone_errors = _gone_answers(request, patient, picked.severities, now)
        reports, picked = checked(
            picked,
            days_only=dose_now(patient).minutes is None,
            red_flag_besides=_red_flag_besides_the_ticks(request, patient, form),
        )
        if form.is_valid() and not gone_errors and not _says_something(request, form, picked.severities):
            form.add_error(None, NOTHING_TO_SEND)
        valid = form.is_valid() and not gone_errors and not picked.errors
        outcome = _submit_form(request, patient, form, reports, gone, now) if valid else None
    if outcome is not None:
        # 303 See Other: the browser follows with a GET, so the answer page is what it keeps. A retry
        # with the same key (the back button can bring the form back with it) leads to the same page.
        return HttpResponseRedirect(
            reverse("checkins:result", kwargs={"checkin_id": str(outcome.checkin.public_id)}), status=303
        )
    context = _form_context(
        patient, query, picked, form=form, answers=request.POST, episode_errors=gone_errors
    )
    return render(request, "checkins/checkin.html", context, status=400)


def _gone_answers(
    request: AuthenticatedRequest, patient: Patient, chosen: dict[str, str], now: dt.datetime
) -> tuple[dict[str, int | None], dict[str, str]]:
    """The open symptoms answered "Gone" on the form: minutes ago (None: not sure) by episode, and the
    refusals of times before the symptom was last seen present, by episode. Read before anything is
    written, so a refused time leaves every answer unstored."""
    gone: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for episode in open_episodes(patient=patient):
        key = str(episode.public_id)
        if request.POST.get(f"episode_{key}") != "gone" or episode.symptom_id in chosen:
            continue
        try:
            gone[key] = gone_minutes_ago(
                request.POST.get(f"gone_{key}", "")[:10],
                episode,
                field=f"gone_{key}",
                time_zone=patient.time_zone,
                now=now,
            )
        except FieldError as error:
            errors[key] = error.message
    return gone, errors


def _red_flag_besides_the_ticks(request: AuthenticatedRequest, patient: Patient, form: CheckinForm) -> bool:
    """Whether the check-in sends a red flag that is not ticked: in the patient's own words, or an open
    one said to be still there. With one, no side effect is refused for its strength (picker.checked)."""
    form.is_valid()  # a box refused for its length has no words to read here
    words = own_words(form.cleaned_data.get("other_text") or "", form.cleaned_data.get("note") or "")
    if words is not None and screen_free_text(words).outcome == "red_flag":
        return True
    still = {key.removeprefix("episode_") for key, value in request.POST.items() if value == "still"}
    return bool(still) and any(
        str(e.public_id) in still and e.kind == SymptomReport.Kind.RED_FLAG
        for e in open_episodes(patient=patient)
    )


NOTHING_TO_SEND = (
    "Nothing to send yet: tick how you feel, answer about a symptom above, give your mood or write a note."
)


def _says_something(request: AuthenticatedRequest, form: CheckinForm, chosen: dict[str, str]) -> bool:
    """Whether the form carries anything at all. An empty check-in (a stray tap on the Send button,
    which stays in sight while the list scrolls) would otherwise be stored as a check-in that says
    nothing."""
    data = form.cleaned_data
    answered = any(key.startswith("episode_") and value for key, value in request.POST.items())
    return bool(
        chosen
        or answered
        or data.get("mood") is not None
        or data.get("note")
        or data.get("other_text")
        or form.home_bp() is not None
    )


def _submit_form(
    request: AuthenticatedRequest,
    patient: Patient,
    form: CheckinForm,
    ticked: list[ReportIn],
    gone: dict[str, int | None],
    now: dt.datetime,
) -> CheckinOutcome | None:
    """The form's answers to open symptoms (``gone``: checked by ``_gone_answers``) and its check-in in
    one transaction; None when refused (the form then carries the error)."""
    reports = list(ticked)
    try:
        with transaction_with_held_rows():
            for episode in open_episodes(patient=patient):
                answer = request.POST.get(f"episode_{episode.public_id}", "")
                if answer == "still" and all(r.symptom_id != episode.symptom_id for r in reports):
                    reports.append(ReportIn(episode.symptom_id, episode.severity, still_there=True))
                elif str(episode.public_id) in gone:
                    answer_episode(
                        patient=patient,
                        episode_id=str(episode.public_id),
                        gone=True,
                        gone_minutes_ago=gone[str(episode.public_id)],
                        now=now,
                    )
            return submit_checkin(
                patient=patient,
                idempotency_key=form.cleaned_data["idempotency_key"],
                reports=reports,
                mood=form.cleaned_data["mood"],
                note=form.cleaned_data["note"],
                other_text=form.cleaned_data["other_text"],
                worry=form.cleaned_data["worry"],
                home_bp=form.home_bp(),
                now=now,
                # The form asks "Still there / Gone" about each open symptom above a list of what is
                # new: one left unanswered is not known to be gone (docs/decisions/0014, amended).
                close_unticked=False,
            )
    except FieldError as error:
        add_field_error(form, error)
        return None


@patient_required
def episode(request: AuthenticatedRequest) -> HttpResponse:
    """'Is your headache gone?': yes (at about ...) or still there, for one open symptom (``?episode=``),
    or the list of open symptoms. Still there past its window raises the care-team alert at once and
    says so; a red flag still there keeps its emergency guidance."""
    patient = _own_patient(request, action="write" if request.method == "POST" else "read")
    raw = (request.POST if request.method == "POST" else request.GET).get("episode", "")[:40]
    try:
        key: uuid.UUID | None = uuid.UUID(raw) if raw else None
    except ValueError:
        key = None
    report = SymptomReport.objects.filter(patient=patient, public_id=key).first() if key else None
    if report is None:
        if request.method == "POST":
            return redirect("checkins:episodes")
        return render(
            request,
            "checkins/episode.html",
            {"patient": patient, "open_episodes": open_episodes(patient=patient)},
        )
    now = timezone.now()
    red_flag = report.kind == SymptomReport.Kind.RED_FLAG
    # No dose on record: no usual time for it to pass, so "longer than usual" is neither asked nor said.
    no_dose = before_any_dose(report)
    context: dict[str, Any] = {
        "patient": patient,
        "episode": report,
        "gone_choices": gone_choices(report, now),
        # A red flag's own guidance stays on the page, a refused answer's page included, with the
        # numbers it tells the patient to call as links (in the chair: the staff in the room instead).
        "flag": kb.knowledge().red_flags.get(report.symptom_id),
        "suicide": report.symptom_id in SUICIDE_RED_FLAGS,
        "in_the_chair": red_flag and at_the_clinic(patient),
        "before_any_dose": no_dose,
    }
    if request.method == "POST":
        gone = request.POST.get("answer") == "gone"
        try:
            ago = (
                gone_minutes_ago(
                    request.POST.get("gone_minutes_ago", "")[:10],
                    report,
                    field="gone_minutes_ago",
                    time_zone=patient.time_zone,
                    now=now,
                )
                if gone and report.resolved_at is None
                else None
            )
            result = answer_episode(
                patient=patient,
                episode_id=str(report.public_id),
                gone=gone,
                gone_minutes_ago=ago,
                # "Longer than usual" has no meaning for a red flag, which is never usual, nor before any
                # dose: not offered.
                says_longer=not red_flag and not no_dose and request.POST.get("says_longer") == "1",
                now=now,
            )
        except FieldError as error:
            context["error"] = error.message
            return render(request, "checkins/episode.html", context, status=400)
        context.update(
            {
                "episode": result.episode,
                "answered": True,
                "alert": result.alert,
                "duration": result.episode.duration(),
                "red_flag": result.episode.kind == SymptomReport.Kind.RED_FLAG,
                "flag": kb.knowledge().red_flags.get(result.episode.symptom_id),
                "contact": clinic_contact_for(patient, now),
                # In the chair, what would send the patient to their clinic goes to the staff in the
                # room, as on the answer page (its phone is for a patient who has already left).
                "tell_the_staff": not red_flag and at_the_clinic(patient),
            }
        )
    return render(request, "checkins/episode.html", context)


def _strength(detail: Mapping[str, Any]) -> str:
    """How strong the patient said it was; a red flag found in their own words was asked no strength,
    so it reads as not given (older check-ins stored the core's default "mild" there)."""
    severity = "" if detail.get("matched_text") else str(detail.get("severity", ""))
    return strength_words(str(detail.get("symptom_id", "")), str(detail.get("kind", "")), severity)


def _own_checkin(request: AuthenticatedRequest, checkin_id: str) -> tuple[Patient, SymptomCheckin]:
    """One of the signed-in patient's own check-ins (``access_checkin``: audited, 404 otherwise)."""
    checkin = access_checkin(request.user, checkin_id)
    return checkin.patient, checkin


@own_patient_page("symptom_checkin", "checkin_id")
def result(request: AuthenticatedRequest, checkin_id: str) -> HttpResponse:
    """The answer to one sent check-in: the page the form redirects to after storing it.

    Everything on it comes from the stored check-in (its triage level and result): the emergency
    screen for a red flag (emergency number, crisis line, the clinic's phone), the advice for each
    symptom, and the red flags reported before that are still open. A refresh stores nothing.
    """
    _patient, checkin = _own_checkin(request, checkin_id)
    return render(request, "checkins/answer.html", _answer_context(checkin))


def _answer_context(checkin: SymptomCheckin) -> dict[str, Any]:
    # In the chair (a session checked in and not yet discharged: patients.facts.at_the_clinic) the
    # fastest help is the staff a few steps away. The box then says that one thing; the numbers to
    # call, and "do not wait for them to call you", are for a patient on their own. The clinic's alert
    # quotes the same box (answer_box.patient_was_told).
    here = at_the_clinic(checkin.patient)
    box = answer_box(checkin.triage_result, here=here)
    emergency = box.emergency
    details = [
        {
            **d,
            "strength": _strength(d),
            "own_words": said_back(d, checkin.other_text, checkin.note),
            "tips": answer_tips(
                d, minutes_since_dose=checkin.triage_result.get("minutes_since_dose"), at_the_clinic=here
            ),
            "in_box": box.holds(d),
        }
        for d in most_serious_first(checkin.triage_result.get("details", []))
    ]
    # The emergency screens already give both numbers.
    mind = not emergency and any(about_the_mind(d) for d in details)
    low_mood = not emergency and checkin.mood_0_10 is not None and checkin.mood_0_10 <= LOW_MOOD_SUPPORT_MAX
    # A note no alert quotes: said to be read, and when, with the calm crisis-line line unless a section
    # above gives the crisis line (the low mood's, the mind's).
    note = not emergency and not box.review and note_to_read(checkin)
    return {
        # The patient's own words need a person (no red flag in them): "If in doubt, call".
        "review": box.review,
        "checkin": checkin,
        "clinic": checkin.patient.clinic,
        "result": checkin.triage_result,
        "details": details,
        "level": box.level.value,
        "emergency": emergency,
        "in_the_chair": box.in_the_chair,
        "tell_the_staff": box.tell_the_staff,
        "told_us": told_us(box, details),
        # The emergency screen already gives the crisis line; any other answer gives it beside the thanks.
        "low_mood": low_mood,
        # No alert is raised by this check-in (decision 0012: none for the mood alone), so nobody calls.
        "no_alert": not (emergency or box.review or box.contact_clinic),
        "mind": mind,
        "note_to_read": note,
        "note_line": note and not (low_mood or mind),
        # The mind's section, or the note's, gives the same numbers.
        "mood_line": not emergency
        and not mind
        and not note
        and checkin.mood_0_10 is not None
        and LOW_MOOD_SUPPORT_MAX < checkin.mood_0_10 <= LOW_MOOD_LINE_MAX,
        "contact_clinic": box.contact_clinic,
        "contact": clinic_contact_for(checkin.patient, timezone.now()),
        # Red flags reported before and not yet said to be gone: this answer is about today's ticks only.
        # In the chair, what to do if one is still there is to tell the staff in the room.
        "still_open": red_flags_still_open(
            open_episodes(patient=checkin.patient), reported_in=checkin, in_the_chair=here
        ),
        "at_the_clinic": here,
    }


@patient_required
def preparation(request: AuthenticatedRequest) -> HttpResponse:
    """The route-specific checklist for the next booked session; ticks are saved and shown to the clinic.

    Without a booked session the list is there to read, with no ticks offered or counted: it says it
    is for before the next session (docs/decisions/0026). A tick sent then (a page left open while
    the session was cancelled) stores nothing.
    """
    now = timezone.now()
    patient = _own_patient(request, action="write" if request.method == "POST" else "read")
    appointment = next_appointment(patient, now=now)
    session_key = appointment.public_id if appointment else ""  # ticks belong to a booked session only
    items = preparation_items(
        appointment.route if appointment and appointment.route else patient_route(patient, now=now),
        patient.clinic,
    )
    before_the_day = appointment is not None and before_session_day(
        appointment.starts_at, clinic_zone=patient.clinic.time_zone, now=now
    )
    if request.method == "POST":
        ticked = set(request.POST.getlist("item"))
        try:
            for item in items if appointment is not None else ():
                if item.on_the_day and before_the_day:
                    continue  # not offered yet: a tick sent anyway changes nothing
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
    ticks = preparation_ticks(patient=patient, session_key=session_key) if appointment else {}
    return render(
        request,
        "checkins/preparation.html",
        {
            "patient": patient,
            "appointment": appointment,
            "day": session_day(
                appointment.starts_at, clinic_zone=patient.clinic.time_zone, patient_zone=patient.time_zone
            )
            if appointment
            else "",
            # The day names the clinic's zone when the patient's differs: the time then follows on
            # their own clock; in one zone "on Tuesday 8 December at 10:00" says it once.
            "same_zone": patient.clinic.time_zone == patient.time_zone,
            "items": items,
            "ticks": ticks,
            "before_the_day": before_the_day,
            "progress": progress(items, ticks, before_the_day=before_the_day),
        },
    )


@staff_required
def staff_checkins(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Staff: a patient's check-ins, symptoms with recorded durations, alerts and preparation ticks."""
    patient = access_patient(request.user, patient_id)
    now = timezone.now()
    appointment = next_appointment(patient, now=now)
    items = preparation_items(
        appointment.route if appointment and appointment.route else patient_route(patient, now=now),
        patient.clinic,
    )
    checkins = list(patient_checkins(patient=patient)[:50])
    return render(
        request,
        "checkins/staff_checkins.html",
        {
            "patient": patient,
            "checkins": checkins,
            # A note no alert quotes is read only by someone who opens this page.
            "notes_to_read": {c.pk for c in checkins if note_to_read(c) and not note_in_the_alert(c)},
            "symptoms": patient_symptoms(patient=patient)[:50],
            "symptom_rows": [
                {
                    "report": r,
                    "duration": r.duration(),
                    "strength": strength_words(r.symptom_id, r.kind, r.severity)
                    or "not asked (an emergency)",
                }
                for r in patient_symptoms(patient=patient)[:50]
            ],
            "alerts": patient_alerts(patient=patient)[:50],
            "items": items,
            # Ticks belong to a booked session; with none booked there is nothing ticked for.
            "appointment": appointment,
            "ticked_ids": {
                item_id
                for item_id, ticked in preparation_ticks(
                    patient=patient, session_key=appointment.public_id
                ).items()
                if ticked
            }
            if appointment
            else set(),
        },
    )


@staff_required
@require_POST
def staff_close_episode(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """A clinician closes an open symptom (the only way besides the patient to close a red flag)."""
    patient = access_patient(request.user, patient_id, action="write")
    raw = request.POST.get("episode", "")[:40]
    try:
        key: uuid.UUID | None = uuid.UUID(raw)
    except ValueError:
        key = None
    report = SymptomReport.objects.filter(patient=patient, public_id=key).first() if key else None
    if report is not None:
        close_episode_by_clinician(episode=report, now=timezone.now())
    return redirect("checkins:staff_checkins", patient_id=str(patient.public_id))
