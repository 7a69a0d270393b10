"""Typed requests for views, so that `request.htmx` and `request.user` need no `# type: ignore`.

django-htmx's middleware sets ``request.htmx``; the login middleware guarantees a signed-in ``User``
on every private page (``LoginRequiredMiddleware``), so views behind it may declare these types.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from ketacare.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxHttpRequest):
    """A request on a private page: the user is signed in (patients reach their record as ``user.patient``)."""

    # Narrows HttpRequest.user (User | AnonymousUser): private pages are behind the login gate.
    user: User


# Whoever a request carries: a signed-in user, or Django's anonymous user before login.
AnyUser = User | AnonymousUser
