"""Role gates for views: the wrong kind of user gets a 404, never a 403 (architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase

from ketacare.clinics.selectors import active_membership

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Allow only users with an active staff membership (the active clinic is then set)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if active_membership(request) is None:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def clinic_admin_required(view: View) -> View:
    """Allow only the clinic admin of the active clinic."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership = active_membership(request)
        if membership is None or membership.role != "clinic_admin":
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def patient_required(view: View) -> View:
    """Allow only users linked to a patient record."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not hasattr(request.user, "patient"):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper
