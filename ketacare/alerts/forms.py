"""HTML input for the alerts inbox: the acknowledge note, the resolution, the clinic's escalation times."""

from __future__ import annotations

from django import forms

from ketacare.alerts.models import Alert, AlertPolicy
from ketacare.alerts.resolution import ASSESSED_BY_TOO_LONG_MESSAGE, NOTE_WORDS, OUTCOME_WORDS
from ketacare.alerts.services import (
    ASSESSED_BY_MAX_CHARS,
    EMERGENCY_RANGE_MESSAGE,
    NOTE_MAX_CHARS,
    ROUTINE_RANGE_MESSAGE,
    emergency_minutes_error,
)


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"The note must be at most {NOTE_MAX_CHARS} characters"},
    )


class ResolveForm(NoteForm):
    """Resolving: the note, and for an emergency or suicide-risk alert the outcome and who assessed the
    patient. Each is optional here; the service says which the alert needs (and names the field). Every
    refusal names its field as the resolve form labels it."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_CHARS,
        error_messages={"max_length": f"{NOTE_WORDS} must be at most {NOTE_MAX_CHARS} characters"},
    )
    outcome = forms.CharField(
        required=False,
        max_length=40,
        error_messages={"max_length": f"{OUTCOME_WORDS}: choose one of the answers offered"},
    )
    assessed_by = forms.CharField(
        required=False,
        max_length=ASSESSED_BY_MAX_CHARS,
        error_messages={"max_length": ASSESSED_BY_TOO_LONG_MESSAGE},
    )


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("active", "Open and acknowledged"),
            ("open", "Open"),
            ("acknowledged", "Acknowledged"),
            ("resolved", "Resolved"),
            ("all", "All"),
        ],
    )
    source = forms.ChoiceField(required=False, choices=[("", "All sources"), *Alert.Source.choices])
    mine = forms.BooleanField(required=False, label="Assigned or escalated to me")


def _whole_minutes(error: str) -> dict[str, str]:
    # Every refusal of a field names the field and its range in the same words.
    return {"required": error, "invalid": error, "min_value": error, "max_value": error}


class PolicyForm(forms.Form):
    """The clinic's two escalation times; both fields' errors show at once."""

    emergency_escalate_after_min = forms.IntegerField(
        label="Emergency and suicide-risk alerts: escalate to the prescribers after (minutes)",
        min_value=AlertPolicy.EMERGENCY_ESCALATE_MIN_RANGE[0],
        max_value=AlertPolicy.EMERGENCY_ESCALATE_MIN_RANGE[1],
        error_messages=_whole_minutes(EMERGENCY_RANGE_MESSAGE),
        widget=forms.NumberInput(attrs={"aria-describedby": "emergency-help"}),
    )
    escalate_after_min = forms.IntegerField(
        label="All other alerts: escalate to the escalation contact after (minutes)",
        min_value=AlertPolicy.ESCALATE_MIN_RANGE[0],
        max_value=AlertPolicy.ESCALATE_MIN_RANGE[1],
        error_messages=_whole_minutes(ROUTINE_RANGE_MESSAGE),
        widget=forms.NumberInput(attrs={"aria-describedby": "routine-help"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        emergency, routine = data.get("emergency_escalate_after_min"), data.get("escalate_after_min")
        if isinstance(emergency, int) and isinstance(routine, int):
            error = emergency_minutes_error(emergency, routine_min=routine)
            if error:
                self.add_error("emergency_escalate_after_min", error)
        return data
