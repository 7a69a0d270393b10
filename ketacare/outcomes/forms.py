"""The outcomes page's filters: baseline period, instrument and scope (all validated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from ketacare.lib.dates import DayField
from ketacare.outcomes.selectors import outcome_instruments

DEFAULT_INSTRUMENT = "phq9"
DEFAULT_SCOPE = "clinic"


class OutcomeFilterForm(forms.Form):
    """GET filters. Invalid input is named on its field by the label the page shows, with the range,
    and the page then shows no numbers: a figure under filters that were not applied would be read as
    the filtered one."""

    start = DayField(required=False, label="Baseline from", widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(required=False, label="Baseline to", widget=forms.DateInput(attrs={"type": "date"}))
    instrument = forms.ChoiceField(required=False, label="Instrument", initial=DEFAULT_INSTRUMENT)
    scope = forms.ChoiceField(
        required=False, choices=[("clinic", "This clinic"), ("all", "All my clinics")], label="Clinics"
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            # A link that names dates but no instrument (or no scope) is computed with the default, so
            # the form shows the default selected: an empty value would leave the browser showing the
            # list's first entry above numbers that are not about it.
            data = data.copy()
            for name, default in (("instrument", DEFAULT_INSTRUMENT), ("scope", DEFAULT_SCOPE)):
                if not data.get(name):
                    data[name] = default
        super().__init__(data, *args, **kwargs)
        self.fields["instrument"].choices = [(i.id, i.title) for i in outcome_instruments()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        earliest, latest = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
        for name in ("start", "end"):
            value = data.get(name)
            if isinstance(value, dt.date) and not earliest <= value <= latest:
                label = self.fields[name].label
                self.add_error(name, f"{label} {value} must be between {earliest} and {latest}")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            self.add_error(
                "end",
                f"{self.fields['end'].label} ({end}) must be on or after "
                f"{self.fields['start'].label} ({start})",
            )
        return data
