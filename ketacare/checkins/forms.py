"""HTML input for check-ins; the symptom list is read from the POST (one checkbox per symptom)."""

from __future__ import annotations

from django import forms

from ketacare.checkins.models import MOOD_MAX, MOOD_MIN, NOTE_MAX_CHARS
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS

MOOD_RANGE = f"Mood must be a whole number from {MOOD_MIN} to {MOOD_MAX}."


class CheckinForm(forms.Form):
    """Mood, note and the hidden idempotency key; symptoms come as `symptom` + `severity_<id>`."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=IDEMPOTENCY_KEY_MAX_CHARS)
    mood = forms.IntegerField(
        label=f"How is your mood right now? ({MOOD_MIN} = very low, {MOOD_MAX} = very good)",
        min_value=MOOD_MIN,
        max_value=MOOD_MAX,
        required=False,
        error_messages={"min_value": MOOD_RANGE, "max_value": MOOD_RANGE, "invalid": MOOD_RANGE},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label="Anything else you want to tell your clinic? (optional)",
        required=False,
        max_length=NOTE_MAX_CHARS,
        error_messages={"max_length": f"Note: at most {NOTE_MAX_CHARS} characters."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
