"""The audit report's filter form."""

from __future__ import annotations

from django import forms

from ketacare.lib.dates import DayField


class AuditFilterForm(forms.Form):
    """Filter by patient, user and date range (dates in the clinic's zone, inclusive)."""

    patient = forms.UUIDField(
        required=False,
        label="Patient id",
        help_text="Choose a patient's name in the report to see only their events.",
    )
    user = forms.EmailField(required=False, label="User e-mail")
    date_from = DayField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("date_from must be on or before date_to")
        return data
