"""A gate for patient pages whose URL carries a parameter: other users get a 404 and a denied audit row."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from ketacare.audit.services import record_access_event

View = Callable[..., HttpResponse]


def own_patient_page(object_type: str, param: str) -> Callable[[View], View]:
    """Like patient_required, but the refusal is audited (each request about an object leaves one row)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not hasattr(request.user, "patient"):
                record_access_event(
                    action="read" if request.method == "GET" else "write",
                    outcome="denied",
                    object_type=object_type,
                    object_id=str(kwargs.get(param, ""))[:64],
                )
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
