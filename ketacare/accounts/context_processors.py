"""Template context from the accounts app: the idle limit the page's lock screen counts down."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketacare.accounts.middleware import is_staff_user


def session_limits(request: HttpRequest) -> dict[str, Any]:
    """``idle_lock_seconds``: when the open page hides itself (the server ends the session then too)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = is_staff_user(user)
    seconds = settings.SESSION_IDLE_TIMEOUT_STAFF_S if staff else settings.SESSION_IDLE_TIMEOUT_PATIENT_S
    return {"idle_lock_seconds": int(seconds)}
