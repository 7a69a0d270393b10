"""HTML input for inviting a support person."""

from __future__ import annotations

from django import forms

from ketacare.support.models import NAME_MAX_CHARS, SupportGrant


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
