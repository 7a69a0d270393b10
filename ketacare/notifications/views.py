"""The patient's notification choices, their phone's push subscription, and what was sent to them."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import patient_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.notifications.channels import valid_twilio_signature, vapid_public_key
from ketacare.notifications.forms import PreferenceForm
from ketacare.notifications.models import Channel, Delivery, NotificationPreference
from ketacare.notifications.services import (
    TEXTS,
    chosen_channels,
    deliver,
    in_quiet_hours,
    preference,
    receive_sms,
    set_preferences,
    subscribe_push,
)
from ketacare.patients.selectors import access_patient

PUSH_BODY_MAX_BYTES = 4096
# Twilio's inbound-message webhook is a form of a few dozen short fields.
SMS_WEBHOOK_MAX_BYTES = 16 * 1024
# Said on saving and on the page while it holds: a patient who turns everything off, or gives the same
# time twice, is told what that means rather than only "Saved."
NO_CHANNEL_WORDS = (
    "Every way of reaching you is off: you will get no reminders and no check-in prompts. "
    "Your clinic can still call you."
)
NO_QUIET_HOURS_WORDS = "No quiet hours: messages may come at any time."
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@patient_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Choose channels and quiet hours; see the last notifications and whether they went."""
    patient = access_patient(
        request.user, request.user.patient.public_id, action="write" if request.method == "POST" else "read"
    )
    pref = preference(patient)
    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                saved = set_preferences(patient=patient, **form.cleaned_data)
            except FieldError as error:
                add_field_error(form, error)
            else:
                words = _warnings(saved)
                worrying = bool(words)
                if request.POST.get("action") == "test":
                    now = timezone.now()
                    # Sent at once even in quiet hours, as the answer to a texted STOP is: the patient
                    # asked for it now, phone in hand, to see that reminders reach them; holding it
                    # until morning would answer "Saved." and show nothing. Quiet hours keep holding
                    # every reminder (the message says so when they are on now).
                    tests = deliver(
                        patient=patient,
                        kind="test",
                        url=request.build_absolute_uri("/me/"),
                        now=now,
                        safety=True,
                    )
                    quiet_now = in_quiet_hours(saved, patient.time_zone, now)
                    words += _test_words(saved, tests, email=request.user.email, quiet_now=quiet_now)
                    worrying = worrying or not tests or any(t.status == Delivery.Status.HELD for t in tests)
                (flash.warning if worrying else flash.success)(request, " ".join(["Saved.", *words]))
                return redirect("notifications:preferences")
        status = 400
    else:
        form = PreferenceForm(
            initial={
                "push": pref.push,
                "sms": pref.sms,
                "email": pref.email,
                "phone": pref.phone,
                "quiet_start": pref.quiet_start,
                "quiet_end": pref.quiet_end,
            }
        )
    return render(
        request,
        "notifications/preferences.html",
        {
            "patient": patient,
            "form": form,
            "pref": pref,
            "no_channel_words": NO_CHANNEL_WORDS if not chosen_channels(pref) else "",
            "no_quiet_hours_words": NO_QUIET_HOURS_WORDS if pref.quiet_start == pref.quiet_end else "",
            "example_text": TEXTS["checkin_prompt"],
            "deliveries": Delivery.objects.filter(patient=patient)[:20],
            "vapid_public_key": vapid_public_key(),
        },
        status=status,
    )


def _test_words(
    pref: NotificationPreference, tests: list[Delivery], *, email: str, quiet_now: bool
) -> list[str]:
    """What became of the test the patient asked for, channel by channel, in their words."""
    if not tests:
        return ["No test was sent."]
    going = [_test_target(pref, t.channel, email) for t in tests if t.status != Delivery.Status.HELD]
    words = []
    if going:
        words.append(f"A test is on its way: {', '.join(going)}.")
        if quiet_now:
            words.append(
                "It goes now although these are your quiet hours, because you asked for it; "
                f"reminders wait until {pref.quiet_end:%H:%M}."
            )
    words += [_test_held(t) for t in tests if t.status == Delivery.Status.HELD]
    return words


def _test_target(pref: NotificationPreference, channel: str, email: str) -> str:
    if channel == Channel.SMS:
        return f"a text message to {pref.phone}"
    if channel == Channel.EMAIL:
        return f"an e-mail to {email}"
    return "a notification on this phone"


def _test_held(delivery: Delivery) -> str:
    if delivery.reason == "the patient texted STOP":
        return "No test text message: you texted STOP. Reply START to get text messages again."
    if delivery.channel == Channel.PUSH:
        return "No test notification on this phone: turn on notifications on this phone first."
    return f"No test by {delivery.get_channel_display().lower()}: {delivery.reason}."


def _warnings(pref: NotificationPreference) -> list[str]:
    """What the saved choices mean when they stop every reminder or leave no quiet hours."""
    words = []
    if not chosen_channels(pref):
        words.append(NO_CHANNEL_WORDS)
    if pref.quiet_start == pref.quiet_end:
        words.append(NO_QUIET_HOURS_WORDS)
    return words


@patient_required
@require_POST
def push_subscription(request: AuthenticatedRequest) -> HttpResponse:
    """The browser's push subscription (JSON from PushSubscription.toJSON(), or form fields)."""
    patient = access_patient(request.user, request.user.patient.public_id, action="write")
    if len(request.body) > PUSH_BODY_MAX_BYTES:
        return JsonResponse({"detail": f"body: at most {PUSH_BODY_MAX_BYTES} bytes"}, status=400)
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body)
            keys = data.get("keys") or {}
            endpoint, p256dh, auth = (
                str(data.get("endpoint", "")),
                str(keys.get("p256dh", "")),
                str(keys.get("auth", "")),
            )
        except (ValueError, AttributeError):
            return JsonResponse({"detail": "body: a push subscription as JSON"}, status=400)
    else:
        endpoint, p256dh, auth = (request.POST.get(k, "") for k in ("endpoint", "p256dh", "auth"))
    try:
        subscribe_push(patient=patient, endpoint=endpoint, p256dh=p256dh, auth=auth)
    except FieldError as error:
        return JsonResponse({"detail": error.message, "field": error.field}, status=400)
    return JsonResponse({"subscribed": True}, status=201)


@login_not_required
@csrf_exempt  # the SMS provider's form post, authenticated by its X-Twilio-Signature, not a browser session
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's inbound-message webhook: STOP and START from a patient's phone (docs/decisions/0020).

    Refused (403) unless the X-Twilio-Signature header is Twilio's signature, with this installation's
    auth token, of the address Twilio called (KETACARE_BASE_URL + path, as configured at Twilio) and
    the posted fields; so refused too when Twilio is not the SMS backend. Answers an empty TwiML
    response: Twilio itself confirms STOP and START to the sender.
    """
    if len(request.body) > SMS_WEBHOOK_MAX_BYTES:
        return HttpResponse("Request body too large.", status=413, content_type="text/plain")
    token = settings.TWILIO_AUTH_TOKEN if settings.KETACARE_SMS_BACKEND == "twilio" else ""
    base = settings.PUBLIC_BASE_URL
    url = f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()
    params = {name: request.POST.getlist(name) for name in request.POST}
    if not valid_twilio_signature(url, params, request.headers.get("X-Twilio-Signature", ""), token):
        return HttpResponse("A valid X-Twilio-Signature is required.", status=403, content_type="text/plain")
    receive_sms(
        from_number=request.POST.get("From", "")[:40],
        body=request.POST.get("Body", "")[:320],
        now=timezone.now(),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
