"""The message thread: the patient writes, the care team answers from the clinic's messages inbox."""

from __future__ import annotations

import uuid

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.clinics.selectors import active_clinic
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.lib.idempotency import IdempotencyConflict
from ketacare.messaging.forms import MessageForm, ToAlertForm
from ketacare.messaging.models import Message
from ketacare.messaging.selectors import clinic_threads, thread, thread_message
from ketacare.messaging.services import (
    message_to_alert,
    reply_to_patient,
    response_time_min,
    send_patient_message,
)
from ketacare.patients.facts import at_the_clinic
from ketacare.patients.selectors import access_patient, clinic_contact_for

ALREADY_SENT = (
    "This page had already sent a different message, so your new words were not sent. "
    "They are still below: press Send message to send them."
)


def _hours_text(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:g} hour{'s' if hours != 1 else ''}" if hours >= 1 else f"{minutes} minutes"


def _answer_promise(minutes: int) -> str:
    """How long an answer can take, as the patient is told: the care team reads messages in opening
    hours only, so a day's response time ends, at worst, on the next working day (a message sent on
    Saturday afternoon waits until Monday)."""
    if minutes <= 24 * 60:
        return "until the next working day"
    return (
        f"up to {_hours_text(minutes)}, or until the clinic opens again if that time ends while it is closed"
    )


@patient_required
def patient_thread(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's thread with the care team; an emergency in the words shows the emergency screen."""
    now = timezone.now()
    patient = access_patient(
        request.user, request.user.patient.public_id, action="write" if request.method == "POST" else "read"
    )
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                sent = send_patient_message(
                    patient=patient,
                    body=form.cleaned_data["body"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    now=now,
                )
            except IdempotencyConflict:
                # The page was already used for other words (the back button, then an edit): the same
                # words with a new key, so sending again works.
                form = MessageForm(
                    {"body": request.POST.get("body", ""), "idempotency_key": uuid.uuid4().hex}
                )
                form.is_valid()
                form.add_error(None, ALREADY_SENT)
            except FieldError as error:
                add_field_error(form, error)
            else:
                if sent.emergency:
                    return render(
                        request,
                        "messaging/emergency.html",
                        {
                            "patient": patient,
                            "clinic": patient.clinic,
                            # Closed now: the screen says when the clinic will see the alert.
                            "contact": clinic_contact_for(patient, now),
                            "at_the_clinic": at_the_clinic(patient),
                            "message": sent.message,
                            "screen": sent.message.screen,
                        },
                    )
                flash.success(request, "Message sent. Your care team reads messages during clinic hours.")
                return redirect("messaging:thread")
        status = 400
    else:
        form = MessageForm(initial={"idempotency_key": uuid.uuid4().hex})
    return render(
        request,
        "messaging/thread.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "contact": clinic_contact_for(patient, now),
            "answer_promise": _answer_promise(response_time_min(patient.clinic_id)),
            "thread": thread(patient),
            "form": form,
        },
        status=status,
    )


@staff_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The clinic's message threads: those waiting for an answer first."""
    clinic = active_clinic(request)
    if clinic is None:  # pragma: no cover - staff_required sets it
        raise Http404("Not found")
    return render(
        request,
        "messaging/inbox.html",
        {
            "rows": clinic_threads(clinic),
            "zone": clinic.time_zone,
            "response_time": _hours_text(response_time_min(clinic.pk)),
        },
    )


@staff_required
def staff_thread(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """One patient's thread for the care team, with the form to answer or write first and "make it an
    alert"."""
    now = timezone.now()
    patient = access_patient(request.user, patient_id, action="write" if request.method == "POST" else "read")
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                reply_to_patient(
                    patient=patient,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    now=now,
                )
            except FieldError as error:
                add_field_error(form, error)
            else:
                return redirect("messaging:staff_thread", patient_id=patient.public_id)
        status = 400
    else:
        form = MessageForm(initial={"idempotency_key": uuid.uuid4().hex})
    messages = list(thread(patient))
    # The care team may write first (a patient who has not written yet): then there is nothing to answer.
    answering = any(m.author_kind == Message.Author.PATIENT for m in messages)
    form.fields["body"].label = "Answer" if answering else f"Message to {patient.display_name}"
    minutes = response_time_min(patient.clinic_id)
    return render(
        request,
        "messaging/staff_thread.html",
        {
            "patient": patient,
            "thread": messages,
            "send_label": "Send answer" if answering else "Send message",
            "form": form,
            "alert_form": ToAlertForm(),
            "response_time": _hours_text(minutes),
            "answer_promise": _answer_promise(minutes),
        },
        status=status,
    )


@staff_required
def to_alert(request: AuthenticatedRequest, patient_id: str, message_id: str) -> HttpResponse:
    """Turn one of the patient's messages into an alert (POST); it then lives in the alerts inbox."""
    if request.method != "POST":
        return HttpResponse("Use POST to raise an alert from a message.", status=405)
    patient = access_patient(request.user, patient_id, action="write")
    message = thread_message(patient, message_id)
    if message is None:
        raise Http404("No such message")
    form = ToAlertForm(request.POST)
    if not form.is_valid():
        return HttpResponse("severity: choose one of info, contact_clinic, urgent, emergency", status=400)
    try:
        alert = message_to_alert(message=message, user=request.user, severity=form.cleaned_data["severity"])
    except FieldError as error:
        return HttpResponse(error.message, status=400)
    return redirect("alerts:detail", alert_id=alert.public_id)
