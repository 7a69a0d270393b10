"""HTML input for inviting a support person."""

from __future__ import annotations

from django import forms

from ketacare.support.models import NAME_MAX_CHARS, SupportGrant


class InviteForm(forms.Form):
    name = forms.CharField(label="Their name", max_length=NAME_MAX_CHARS)
    email = forms.CharField(label="E-mail (or a phone number below)", max_length=254, required=False)
    phone = forms.CharField(label="Mobile phone", max_length=30, required=False)
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
