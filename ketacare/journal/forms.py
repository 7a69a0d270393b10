"""HTML input for journal entries."""

from __future__ import annotations

from django import forms

from ketacare.journal.models import TEXT_MAX_CHARS
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS


class JournalForm(forms.Form):
    """Text, the prompt answered, whether to share it, and the hidden idempotency key."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    prompt_id = forms.CharField(widget=forms.HiddenInput, max_length=60, required=False)
    text = forms.CharField(
        label="Your entry",
        max_length=TEXT_MAX_CHARS,
        error_messages={
            "max_length": f"Write at most {TEXT_MAX_CHARS} characters.",
            "required": f"Write something (up to {TEXT_MAX_CHARS} characters).",
        },
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    shared_with_clinic = forms.BooleanField(
        label="Share this entry with my clinic (otherwise only you can read it)", required=False
    )
