"""HTML input for messages."""

from __future__ import annotations

from django import forms

from ketacare.alerts.models import Alert
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.messaging.models import BODY_MAX_CHARS


class MessageForm(forms.Form):
    idempotency_key = forms.CharField(max_length=IDEMPOTENCY_KEY_MAX_CHARS, widget=forms.HiddenInput)
    body = forms.CharField(
        label="Your message",
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": f"Write your message (1 to {BODY_MAX_CHARS} characters).",
            "max_length": f"Your message: at most {BODY_MAX_CHARS} characters.",
        },
    )


class ToAlertForm(forms.Form):
    severity = forms.ChoiceField(label="Severity", choices=Alert.Severity.choices, initial="contact_clinic")
