"""Access gates for views, in one place: the wrong kind of user gets a 404, never a 403 (architecture.md).

Gates that concern an object named in the URL also leave a denied audit row, so that each request
about an object is audited whatever its outcome."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from ketacare.accounts.middleware import is_staff_user
from ketacare.audit.services import record_access_event
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


def _denied(request: HttpRequest, object_type: str, object_id: Any, action: str) -> None:
    record_access_event(
        action=action if request.method == "GET" else "write",
        outcome="denied",
        object_type=object_type,
        object_id=str(object_id or "")[:64],
    )


def own_patient_page(object_type: str, param: str) -> Callable[[View], View]:
    """Like patient_required, but the refusal is audited (each request about an object leaves one row)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not hasattr(request.user, "patient"):
                _denied(request, object_type, kwargs.get(param), "read")
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def staff_object_view(object_type: str, kwarg: str, action: str = "read") -> Callable[[View], View]:
    """Staff only; anyone else gets a 404 that is still audited as a denied access."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if active_membership(request) is None:
                _denied(request, object_type, kwargs.get(kwarg), action)
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def admin_object_view(object_type: str, kwarg: str, action: str = "write") -> Callable[[View], View]:
    """The clinic admin of the active clinic only; anyone else gets a 404 audited as a denied access."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = active_membership(request)
            if membership is None or membership.role != "clinic_admin":
                _denied(request, object_type, kwargs.get(kwarg), action)
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def verified_staff_required(view: View) -> View:
    """Staff who passed the second factor in this session (for pages under /accounts/, which the MFA
    middleware leaves open so that login and enrolment work); patients get a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not is_staff_user(user):
            raise Http404("Not found")
        if not user.is_verified():  # type: ignore[union-attr]
            return redirect("accounts:mfa")
        return view(request, *args, **kwargs)

    return wrapper
