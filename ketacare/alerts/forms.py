"""HTML input for the alerts inbox: the acknowledge/resolve note and the clinic's escalation time."""

from __future__ import annotations

from django import forms

from ketacare.alerts.models import Alert
from ketacare.alerts.services import NOTE_MAX_CHARS


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note (what was done)",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"note must be at most {NOTE_MAX_CHARS} characters"},
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


class PolicyForm(forms.Form):
    escalate_after_min = forms.IntegerField(
        label="Escalate unacknowledged alerts to the clinic admin after (minutes)",
        min_value=5,
        max_value=10080,
        error_messages={
            "min_value": "escalate_after_min must be from 5 to 10080 minutes",
            "max_value": "escalate_after_min must be from 5 to 10080 minutes",
        },
    )
