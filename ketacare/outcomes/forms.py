"""The outcomes page's filters: baseline period, instrument and scope (all validated)."""

from __future__ import annotations

import datetime as dt

from django import forms

from ketacare.lib.dates import DayField
from ketacare.outcomes.selectors import outcome_instruments


class OutcomeFilterForm(forms.Form):
    """GET filters; invalid input falls back to the defaults and names the field and range."""

    start = DayField(required=False, label="Baseline from", widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(required=False, label="Baseline to", widget=forms.DateInput(attrs={"type": "date"}))
    instrument = forms.ChoiceField(required=False, label="Instrument", initial="phq9")
    scope = forms.ChoiceField(
        required=False, choices=[("clinic", "This clinic"), ("all", "All my clinics")], label="Clinics"
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["instrument"].choices = [(i.id, i.title) for i in outcome_instruments()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        earliest = dt.date(2000, 1, 1)
        for name in ("start", "end"):
            value = data.get(name)
            if isinstance(value, dt.date) and not earliest <= value <= dt.date(2100, 12, 31):
                self.add_error(name, f"{name} {value} must be between 2000-01-01 and 2100-12-31")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            self.add_error("end", f"end {end} must be on or after start {start}")
        return data
