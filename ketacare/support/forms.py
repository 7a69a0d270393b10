"""HTML input for inviting a support person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from ketacare.support.models import NAME_MAX_CHARS, SupportGrant
from ketacare.support.services import COMPANION_DAYS_AHEAD, day_words


class InviteForm(forms.Form):
    name = forms.CharField(
        label="Their name",
        max_length=NAME_MAX_CHARS,
        error_messages={
            "required": f"Their name: write the name of the person (1 to {NAME_MAX_CHARS} characters)"
        },
    )
    # Who the link is for, on the patient's list of people; KetaCare sends nothing to them (the patient
    # sends the link), so the labels do not promise a message.
    email = forms.CharField(
        label="Their e-mail (or their mobile number below), so you know who has the link",
        max_length=254,
        required=False,
    )
    phone = forms.CharField(label="Their mobile number", max_length=30, required=False)
    role = forms.ChoiceField(
        label="What they may see",
        choices=SupportGrant.Role.choices,
        widget=forms.RadioSelect,
        initial=SupportGrant.Role.DAY_COMPANION,
    )
    day = forms.DateField(
        label="Treatment day (companions only)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Treatment day: a date such as 2026-03-02."},
    )

    def __init__(self, *args: Any, next_day: dt.date | None = None, **kwargs: Any) -> None:
        """``next_day``: the patient's next treatment day (``selectors.next_companion_day``), the day a
        new form offers; with none booked the field starts empty and says why."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("day", next_day)
        field = self.fields["day"]
        if next_day is not None:
            field.help_text = (
                f"The day of one of your sessions: the first from today is {day_words(next_day)}."
            )
        else:
            field.help_text = (
                f"No treatment session is booked in the next {COMPANION_DAYS_AHEAD} days: a companion "
                "can be invited for the day of a session once your clinic has booked it."
            )
