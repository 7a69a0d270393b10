"""The patient companion's pages that read across records: home and progress."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.companion.progress import exposure_context, progress_context
from ketacare.companion.selectors import home_context, session_today
from ketacare.core.dayrules import DayRule
from ketacare.patients.selectors import access_patient
from ketacare.treatments import instructions as discharge_instructions
from ketacare.treatments.selectors import patient_sessions


@patient_required
def patient_home(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own home page."""
    patient = access_patient(request.user, request.user.patient.public_id)
    return render(
        request,
        "companion/home.html",
        {"patient": patient, "clinic": patient.clinic, **home_context(patient)},
    )


@patient_required
def progress(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's progress page."""
    patient = access_patient(request.user, request.user.patient.public_id)
    return render(request, "companion/progress.html", progress_context(patient))


@staff_required
def staff_progress(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Staff of the patient's clinic: the same charts, change classes and side-effect durations, and the
    cumulative ketamine exposure."""
    patient = access_patient(request.user, patient_id)
    return render(
        request,
        "companion/staff_progress.html",
        {
            **progress_context(patient, staff=True),
            **exposure_context(patient, now=timezone.now()),
            "staff_view": True,
        },
    )


# --- Installable companion (PWA) -----------------------------------------------------------------

_SW_SOURCE = (Path(__file__).parent / "pwa" / "sw.js").read_text(encoding="utf-8")
# The files the service worker keeps for the app shell (their hashed names come from the storage).
SHELL_STATIC = (
    "ketacare/app.css",
    "ketacare/htmx.min.js",
    "ketacare/idle-lock.js",
    "ketacare/pwa.js",
    "ketacare/phone.js",
    "ketacare/icons/icon-192.png",
    "ketacare/icons/icon-512.png",
)


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable, opening on the patient's home."""
    data = {
        "name": "KetaCare",
        "short_name": "KetaCare",
        "description": "Your treatment companion: check-ins, what to expect, messages to your clinic.",
        "start_url": reverse("companion:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5f5a",
        "icons": [
            {"src": static(f"ketacare/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
            for size in (192, 512)
        ]
        + [
            {
                "src": static("ketacare/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            }
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    return response


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope covers the whole site."""
    shell = [static(path) for path in SHELL_STATIC]
    version = hashlib.sha256((_SW_SOURCE + "".join(shell)).encode()).hexdigest()[:12]
    source = _SW_SOURCE.replace("__VERSION__", version).replace("__SHELL__", json.dumps(shell))
    response = HttpResponse(source, content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when a page is not kept on the phone and there is no connection."""
    return render(request, "companion/offline.html")


@patient_required
def instructions(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own discharge instructions from their latest dose (kept for offline reading).

    A patient dosed today and not yet discharged reads today's rules, each counted from when they leave
    and said so, with no time until they have left (``not_left_yet``): last session's sheet, whose
    limits have ended, would tell them they may drive home. On the morning of a session not yet begun
    the sheet is still the last session's, and the page says so (``session_today``): its rules have ended.
    """
    patient = access_patient(request.user, request.user.patient.public_id)
    now = timezone.now()
    sessions = patient_sessions(patient).exclude(state="cancelled")
    session = (
        sessions.filter(dose_started_at__isnull=False, dose_started_at__lte=now)
        .order_by("-dose_started_at")
        .first()
        or sessions.filter(discharged_at__isnull=False, discharged_at__lte=now).first()
    )
    context = discharge_instructions.build(session, now) if session is not None else {}
    not_left_yet = session is not None and session.discharged_at is None
    if not_left_yet:
        # The limits count from leaving, which has no time yet: each says so (the words the checklist
        # and Learn use), never a time counted from the end of the dose, which would be too early. The
        # page is kept offline, so what it says must stay true until it is loaded again.
        context["rules"] = [_rule_before_leaving(rule) for rule in context["day_rules"]]
    upcoming = session_today(patient, now=now)
    return render(
        request,
        "companion/instructions.html",
        {
            **context,
            "patient": patient,
            "has_instructions": bool(context),
            "not_left_yet": not_left_yet,
            "session_today": upcoming,
        },
    )


# Said after each rule whose end time is not known yet (the patient has not left the clinic).
EXACT_TIME_LATER = "the exact time appears here when you are discharged"


def _rule_before_leaving(rule: DayRule) -> dict[str, Any]:
    """A day rule as the sheet shows it before the patient has left: its end in words, not a time."""
    sentence = rule.sentence_before_leaving
    if rule.ends_at is not None:
        sentence = f"{sentence.removesuffix('.')}; {EXACT_TIME_LATER}."
    return {"id": rule.id, "sentence": sentence, "reason": rule.reason, "ended": False}
