"""Session lifetime (idle and absolute) and the staff second-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_STARTED_KEY = "ketacare_started_at"
SESSION_SEEN_KEY = "ketacare_last_seen_at"
# Pages that refresh themselves (htmx `every` triggers) send this header: a poll is not a person, so it
# never renews the idle clock (an unattended screen must lock).
POLL_HEADER = "X-KetaCare-Poll"
# The last-seen stamp is stored at most this often: saving the session on every request costs a write
# per page, and a minute is far below the idle limits.
SEEN_RESOLUTION_S = 60


def is_staff_user(user: object) -> bool:
    """True for an authenticated user who is not a patient (staff must pass MFA)."""
    return bool(getattr(user, "is_authenticated", False)) and not hasattr(user, "patient")


def second_factor_pending(user: object) -> bool:
    """True for a staff member signed in with a password who has not passed the second factor yet.

    Such a user reaches only the sign-in and second-factor pages, and those show nothing of a clinic:
    no navigation, no alert counts (the context processors check this).
    """
    verified = getattr(user, "is_verified", None)  # django-otp's OTPMiddleware sets it on every request
    return is_staff_user(user) and not (callable(verified) and verified())


class SessionLifetimeMiddleware:
    """End sessions after 15 min idle (staff), 30 min idle (patients), or 12 h in all (docs/security.md S8)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now_s = time.time()
            started = request.session.get(SESSION_STARTED_KEY, now_s)
            seen = request.session.get(SESSION_SEEN_KEY, now_s)
            idle_limit = (
                settings.SESSION_IDLE_TIMEOUT_STAFF_S
                if is_staff_user(request.user)
                else settings.SESSION_IDLE_TIMEOUT_PATIENT_S
            )
            if now_s - seen > idle_limit or now_s - started > settings.SESSION_ABSOLUTE_LIFETIME_S:
                logout(request)  # flushes the server-side session
                login_url = f"{reverse('accounts:login')}?expired=1"
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Session expired"}, status=401)
                if request.headers.get("HX-Request"):
                    # htmx swaps nothing on a 401 and follows HX-Redirect: the page leaves the screen.
                    response = HttpResponse("Session expired", status=401)
                    response["HX-Redirect"] = login_url
                    return response
                return redirect(login_url)
            if SESSION_STARTED_KEY not in request.session:
                request.session[SESSION_STARTED_KEY] = started
            polled = request.headers.get(POLL_HEADER) == "1"
            if not polled and (SESSION_SEEN_KEY not in request.session or now_s - seen >= SEEN_RESOLUTION_S):
                request.session[SESSION_SEEN_KEY] = now_s
        return self.get_response(request)


class StaffMFARequiredMiddleware:
    """Clinicians and admins must pass TOTP before any page other than login, MFA and logout."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            is_staff_user(user)
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Second factor required"}, status=401)
            return redirect("accounts:mfa")
        return self.get_response(request)
