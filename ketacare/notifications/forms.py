"""HTML input for the patient's notification choices."""

from __future__ import annotations

from django import forms

from ketacare.notifications.models import DEFAULT_QUIET_END, DEFAULT_QUIET_START


class PreferenceForm(forms.Form):
    push = forms.BooleanField(label="Notifications on this phone", required=False)
    sms = forms.BooleanField(label="Text messages", required=False)
    email = forms.BooleanField(label="E-mail", required=False)
    phone = forms.CharField(label="Mobile number for text messages", max_length=30, required=False)
    quiet_start = forms.TimeField(
        label="Quiet from",
        initial=DEFAULT_QUIET_START,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Quiet from: a time such as 21:00."},
    )
    quiet_end = forms.TimeField(
        label="Quiet until",
        initial=DEFAULT_QUIET_END,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Quiet until: a time such as 08:00."},
    )
