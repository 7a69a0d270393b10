"""HTML input for messages."""

from __future__ import annotations

from django import forms

from ketacare.alerts.models import Alert
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.messaging.models import BODY_MAX_CHARS

# The hidden key goes missing only from a broken or stale page; the writer can do nothing but send again.
PAGE_INCOMPLETE = "This page was incomplete, so your message was not sent. Please send it again."


class MessageForm(forms.Form):
    """One message. Each error names the message, as it also stands in the error summary above the page
    (the staff form labels the same field "Answer")."""

    idempotency_key = forms.CharField(
        max_length=IDEMPOTENCY_KEY_MAX_CHARS,
        widget=forms.HiddenInput,
        error_messages={"required": PAGE_INCOMPLETE, "max_length": PAGE_INCOMPLETE},
    )
    body = forms.CharField(
        label="Your message",
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": f"Your message is empty: write 1 to {BODY_MAX_CHARS} characters.",
            "max_length": (
                "Your message has %(show_value)d characters: shorten it to at most %(limit_value)d."
            ),
            "null_characters_not_allowed": (
                "Your message holds a character that cannot be sent (a null character): "
                "type the message again as plain text."
            ),
        },
    )


class ToAlertForm(forms.Form):
    severity = forms.ChoiceField(label="Severity", choices=Alert.Severity.choices, initial="contact_clinic")
