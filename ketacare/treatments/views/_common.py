"""Helpers the treatments pages share: form errors from a service, and clinic wall-clock times."""

from __future__ import annotations

import zoneinfo

from django import forms as django_forms
from django.utils import timezone

from ketacare.lib.errors import FieldError
from ketacare.treatments.models import TreatmentSession


def apply_error(form: django_forms.Form, error: FieldError) -> None:
    """Put a service's refusal on the form field it names (on the form itself if the form has no such field)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def session_zone(session: TreatmentSession) -> str:
    return session.clinic.time_zone


def now_local(tz: str) -> str:
    """Now on the wall clock of `tz`, as a `datetime-local` input shows it."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")
