"""Audit rows for login success and failure, and the session start time."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ketacare.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from ketacare.audit.services import record_access_event


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    now_s = time.time()
    if request is not None:
        request.session[SESSION_STARTED_KEY] = now_s
        request.session[SESSION_SEEN_KEY] = now_s
    record_access_event(
        user=user, action="login", outcome="success", object_type="user", object_id=str(user.public_id)
    )


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the attempted e-mail is kept; the password never reaches the log.
    email = str(credentials.get("username") or credentials.get("email") or "")
    record_access_event(action="login", outcome="failure", object_type="user", login_email=email)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_access_event(
            user=user, action="logout", outcome="success", object_type="user", object_id=str(user.public_id)
        )
