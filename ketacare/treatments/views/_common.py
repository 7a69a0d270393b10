"""Helpers the treatments pages share: form errors from a service, a write's audit row, and clinic
wall-clock times."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms as django_forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.audit.services import holding_rows, record_access_event
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.lib.forms import add_field_error
from ketacare.treatments.models import TreatmentSession


def write_audited_when_written(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's "write · granted" audit row commits with its write, or is recorded as the read it was.

    The view calls its service inside `transaction_with_held_rows`; a refusal, refused input or a write
    that rolled back leaves the record opened and nothing written, and the audit report says so
    (docs/decisions/0029).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with holding_rows(reads_unless_written=True):
            return view(request, *args, **kwargs)

    return wrapper


def apply_error(form: django_forms.Form, error: FieldError) -> None:
    """Put a service's refusal on the form field it names (on the form itself if the form has no such field)."""
    add_field_error(form, error)


def session_zone(session: TreatmentSession) -> str:
    return session.clinic.time_zone


def now_local(tz: str) -> str:
    """Now on the wall clock of `tz`, as a `datetime-local` input shows it."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def refused(request: HttpRequest, error: NotPermitted, *, back_url: str, patient: Any) -> HttpResponse:
    """A role refusal (403): what the action needs and the way back; nothing was written.

    The record itself was open to this user (its access is audited as a granted read: nothing was
    written); the refused action leaves its own denied row, so the audit report shows who tried what.
    """
    match = request.resolver_match
    record_access_event(
        action="write",
        outcome="denied",
        patient=patient,
        object_type="action",
        object_id=(match.view_name if match else "")[:64],
    )
    return render(
        request, "treatments/refused.html", {"message": error.message, "back_url": back_url}, status=403
    )
