"""HTML input for the clinic's questionnaire schedule policy (clinic admins)."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.core.instruments import instruments


def _range(name: str, low: int, high: int) -> dict[str, str]:
    message = f"{name} must be a whole number from {low} to {high}."
    return {"min_value": message, "max_value": message, "invalid": message, "required": message}


class QuestionnairePolicyForm(forms.Form):
    """What a clinic may configure; the instruments come from the core (patient-completed ones)."""

    core_instruments = forms.MultipleChoiceField(
        label="Questionnaires on the schedule", widget=forms.CheckboxSelectMultiple, choices=()
    )
    before_each_induction_session = forms.BooleanField(label="Before each induction session", required=False)
    after_first_dose_hours = forms.IntegerField(
        label="Hours after the first dose (1–168)",
        min_value=1,
        max_value=168,
        error_messages=_range("Hours after the first dose", 1, 168),
    )
    induction_interval_days = forms.IntegerField(
        label="Every … days during induction (1–60)",
        min_value=1,
        max_value=60,
        error_messages=_range("Induction interval", 1, 60),
    )
    maintenance_interval_days = forms.IntegerField(
        label="Every … days during maintenance (1–180)",
        min_value=1,
        max_value=180,
        error_messages=_range("Maintenance interval", 1, 180),
    )
    due_hour_local = forms.IntegerField(
        label="Due at this hour, patient's local time (0–23)",
        min_value=0,
        max_value=23,
        error_messages=_range("Due hour", 0, 23),
    )
    daily_mood = forms.BooleanField(label="Ask for a daily mood rating", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In the order of their names (an admin looks for "PHQ-9", not for the registry's order).
        self.fields["core_instruments"].choices = sorted(  # type: ignore[attr-defined]
            ((i.id, i.title) for i in instruments() if i.completed_by == "patient" and i.id != "daily_mood"),
            key=lambda choice: choice[1].casefold(),
        )
