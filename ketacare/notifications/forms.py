"""HTML input for the patient's notification choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ketacare.notifications.models import DEFAULT_QUIET_END, DEFAULT_QUIET_START

# The longest number services.PHONE takes without a leading "+": the hint, this check and the
# service's refusal all say 6 to 25.
PHONE_MAX_CHARS = 25
PHONE_HINT = f"Digits, spaces, brackets and dashes, 6 to {PHONE_MAX_CHARS} characters, e.g. +1 555 0100."
# Quiet hours are picked from the half hours of a 24-hour day: <input type=time> shows the browser's
# locale ("10:00 PM") while every other time in the app is 24-hour, and a phone's number pad has no
# colon to type "22:00" into a text box.
QUIET_STEP_MINUTES = 30
DAY_MINUTES = 24 * 60


def _hh_mm(value: object) -> str:
    """A time, or its text as posted ("22:00", "22:00:00"), as "HH:MM"; anything else as it is."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip()).strftime("%H:%M")
        except ValueError:
            return value
    return "" if value is None else str(value)


def _named(hh_mm: str) -> str:
    return {"00:00": "00:00 (midnight)", "12:00": "12:00 (noon)"}.get(hh_mm, hh_mm)


def quiet_time_choices(current: object = None) -> list[tuple[str, str]]:
    """Every half hour of the day as "HH:MM", and ``current`` too when it falls between them (a time
    chosen through the API, e.g. 21:15, is shown as it is rather than as the list's first entry)."""
    times = [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, DAY_MINUTES, QUIET_STEP_MINUTES)]
    extra = _hh_mm(current)
    if extra and extra not in times:
        try:
            dt.time.fromisoformat(extra)
        except ValueError:
            pass
        else:
            times = sorted([*times, extra])
    return [(t, _named(t)) for t in times]


class TimeSelect(forms.Select):
    """A select of "HH:MM" times that shows a stored ``datetime.time`` as its option."""

    def format_value(self, value: Any) -> list[str]:
        return super().format_value(_hh_mm(value))


def _quiet_field(label: str, initial: dt.time, example: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        initial=initial,
        widget=TimeSelect(choices=quiet_time_choices()),
        error_messages={
            "invalid": f"{label}: a time on the 24-hour clock, such as {example}.",
            "required": f"{label}: choose a time, such as {example}.",
        },
    )


class PreferenceForm(forms.Form):
    push = forms.BooleanField(label="Notifications on this phone", required=False)
    sms = forms.BooleanField(label="Text messages", required=False)
    email = forms.BooleanField(label="E-mail", required=False)
    # No max_length: its maxlength attribute would cut a pasted number short without a word, and a
    # number cut short is someone else's. Too long is said in words instead (clean_phone).
    phone = forms.CharField(
        label="Mobile number for text messages",
        required=False,
        help_text=PHONE_HINT,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    quiet_start = _quiet_field("Quiet from", DEFAULT_QUIET_START, "21:00")
    quiet_end = _quiet_field("Quiet until", DEFAULT_QUIET_END, "08:00")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("quiet_start", "quiet_end"):
            current = self.data.get(name) if self.is_bound else self.initial.get(name)
            self.fields[name].widget.choices = quiet_time_choices(current)  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data.get("phone") or "").strip()
        if len(phone) > PHONE_MAX_CHARS:
            # The hint under the box says what a number may hold: the message says what is wrong.
            raise ValidationError(
                f"Mobile number: at most {PHONE_MAX_CHARS} characters; this one has {len(phone)}."
            )
        return phone
