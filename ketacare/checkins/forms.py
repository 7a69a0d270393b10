"""HTML input for check-ins; the symptom list is read from the POST (one checkbox per symptom)."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.checkins.models import MOOD_MAX, MOOD_MIN, NOTE_MAX_CHARS, OTHER_TEXT_MAX_CHARS, SymptomCheckin
from ketacare.checkins.services import HOME_BP_FIELDS, HomeBpIn
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS

MOOD_RANGE = f"Mood must be a whole number from {MOOD_MIN} to {MOOD_MAX}."


def _bp_range(field: str) -> str:
    label, (low, high) = next((f[2], f[3]) for f in HOME_BP_FIELDS if f[0] == field)
    return f"{label}: enter a whole number from {low:g} to {high:g}"


# Where the fields stand on the page, top to bottom: the error summary lists their errors in this order.
PAGE_ORDER = (
    "other_text",
    "worry",
    "mood",
    "note",
    "home_systolic_mmhg",
    "home_diastolic_mmhg",
    "home_pulse_bpm",
)


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
    other_text = forms.CharField(
        label="Something else? Describe it",
        required=False,
        max_length=OTHER_TEXT_MAX_CHARS,
        error_messages={"max_length": f"Something else: at most {OTHER_TEXT_MAX_CHARS} characters."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    worry = forms.ChoiceField(
        label="How worried are you about it?",
        required=False,
        choices=SymptomCheckin.Worry.choices,
        widget=forms.RadioSelect,
    )
    home_systolic_mmhg = forms.IntegerField(
        label="Top number (systolic)",
        required=False,
        error_messages={"invalid": _bp_range("home_systolic_mmhg")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    home_diastolic_mmhg = forms.IntegerField(
        label="Bottom number (diastolic)",
        required=False,
        error_messages={"invalid": _bp_range("home_diastolic_mmhg")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    home_pulse_bpm = forms.IntegerField(
        label="Pulse (optional)",
        required=False,
        error_messages={"invalid": _bp_range("home_pulse_bpm")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Each number of the reading is held to its range here, so every one out of range is named at
        # once (the service refuses only the first); the wording is the service's (validate_home_bp).
        for field, _attr, label, (low, high) in HOME_BP_FIELDS:
            value = data.get(field)
            if value is not None and not low <= value <= high:
                self.add_error(field, f"{label}: enter a number from {low:g} to {high:g}")
        systolic, diastolic = data.get("home_systolic_mmhg"), data.get("home_diastolic_mmhg")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error(
                "home_diastolic_mmhg",
                "Bottom number (diastolic): it must be lower than the top number (systolic)",
            )
        if data.get("home_pulse_bpm") is not None or (systolic is None) != (diastolic is None):
            for field in ("home_systolic_mmhg", "home_diastolic_mmhg"):
                if data.get(field) is None and field not in self.errors:
                    self.add_error(field, "Enter both numbers of the reading (top and bottom), or neither.")
        return data

    def error_links(self) -> list[dict[str, str]]:
        """Each field error with the link to its field (``#id``), in page order, for the error summary."""
        links = []
        for name in PAGE_ORDER:
            field = self[name]
            # A group of radio buttons is reached through its first button.
            target = field.id_for_label or f"{field.auto_id}_0"
            links += [{"href": f"#{target}", "message": str(message)} for message in field.errors]
        # A hidden field (the idempotency key) has no place on the page to link to.
        links += [
            {"href": "", "message": str(message)}
            for name, messages in self.errors.items()
            if name not in PAGE_ORDER and name != "__all__"
            for message in messages
        ]
        return links

    def home_bp(self) -> HomeBpIn | None:
        """The reading for the service (None when not given); call after is_valid()."""
        data = self.cleaned_data
        if data.get("home_systolic_mmhg") is None or data.get("home_diastolic_mmhg") is None:
            return None
        return HomeBpIn(data["home_systolic_mmhg"], data["home_diastolic_mmhg"], data.get("home_pulse_bpm"))
