"""HTML input for clinic administration: inviting staff, their role, the clinic's settings."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import zoneinfo
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, cast

from django import forms

from ketacare.clinics.hours import DAY_NAMES, DAYS, Interval
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.core.home_bp import HOLD_DIASTOLIC_RANGE_MMHG, HOLD_SYSTOLIC_RANGE_MMHG

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def _zone_tab() -> set[str]:
    """The zones of tzdata's zone.tab, read where ``zoneinfo`` reads its data (the system's first, then
    the tzdata package): one or more per country, none of the backward-compatibility aliases
    ("Africa/Asmera", "US/Eastern"). Empty when neither ships the table."""
    places: list[Traversable] = [Path(folder) / "zone.tab" for folder in zoneinfo.TZPATH]
    try:
        places.append(importlib.resources.files("tzdata").joinpath("zoneinfo").joinpath("zone.tab"))
    except ModuleNotFoundError:
        pass
    for place in places:
        try:
            text = place.read_text(encoding="utf-8")
        except OSError:
            continue
        rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
        return {row[2].strip() for row in rows if len(row) > 2}
    return set()


@functools.cache
def canonical_time_zones() -> tuple[str, ...]:
    """The zones a clinic chooses from, sorted: zone.tab's names that this Python can load, and UTC (all
    loadable zones when no zone.tab is found, so the choice is never empty)."""
    loadable = zoneinfo.available_timezones()
    # UTC is no place in zone.tab, but a clinic or a patient may keep it (and the API accepts it).
    places = _zone_tab() & loadable
    return tuple(sorted(places | {"UTC"} if places else loadable - {"localtime", "Factory"}))


def time_zone_choices(current: str = "") -> list[tuple[str, str]]:
    """The canonical zones, with ``current`` kept in its place even when it is a legacy alias."""
    zones = set(canonical_time_zones())
    if current:
        zones.add(current)
    return [(zone, zone) for zone in sorted(zones)]


class InviteStaffForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        error_messages={"invalid": "Enter an e-mail address, such as name@example.org."},
    )
    full_name = forms.CharField(label="Full name", max_length=200, required=False)
    # No role is chosen in advance: an administrator who overlooks the field must not grant full rights.
    role = forms.ChoiceField(
        label="Role",
        choices=[("", "Choose a role"), *StaffMembership.Role.choices],
        error_messages={"required": "Choose the role this person will have."},
    )
    clinics = forms.MultipleChoiceField(
        label="Clinics",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one clinic."},
    )

    def __init__(self, *args: Any, clinics: list[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic_objects = {str(c.public_id): c for c in clinics}
        field = cast(forms.MultipleChoiceField, self.fields["clinics"])
        field.choices = [(str(c.public_id), c.name) for c in clinics]

    def chosen_clinics(self) -> list[Clinic]:
        return [self.clinic_objects[key] for key in self.cleaned_data["clinics"]]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=StaffMembership.Role.choices)


def _day_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        # The label starts with the day's name ("Monday opens"), which stays capitalised as a proper noun.
        error_messages={"invalid": f"{label}: a time of day as HH:MM (00:00 to 23:59)"},
    )


def _mmhg_field(label: str, allowed: tuple[int, int], help_text: str = "") -> forms.IntegerField:
    low, high = allowed
    return forms.IntegerField(
        label=label,
        required=False,
        help_text=f"{low}–{high}. {help_text}".strip(),
        error_messages={"invalid": f"Enter a whole number of mmHg from {low} to {high}"},
    )


# The page's order of the fields (the template's), which the error summary follows.
SETTINGS_PAGE_ORDER = [
    "time_zone",
    "phone",
    "emergency_number",
    "crisis_line",
    *(f"{day}_{end}" for day in DAYS for end in ("opens", "closes")),
    "after_hours_phone",
    "after_hours_instructions",
    "escalation_contact",
    "home_bp_hold_systolic_mmhg",
    "home_bp_hold_diastolic_mmhg",
    "fasting_instructions",
    "names_in_titles",
]
# Shorter names than the labels, for the summary's lines; an opening-hours message names its day itself.
_SUMMARY_NAMES = {
    "phone": "Clinic phone",
    "after_hours_instructions": "Outside opening hours",
    "home_bp_hold_systolic_mmhg": "Home blood pressure limit, systolic",
    "home_bp_hold_diastolic_mmhg": "Home blood pressure limit, diastolic",
    "fasting_instructions": "Fasting instructions",
    "names_in_titles": "Full names in titles",
}


class ClinicSettingsForm(forms.Form):
    """What patients are told: numbers, opening hours, after-hours advice, fasting."""

    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)
    phone = forms.CharField(label="Clinic phone (shown to patients)", max_length=40)
    after_hours_phone = forms.CharField(label="After-hours phone", max_length=40, required=False)
    after_hours_instructions = forms.CharField(
        label="What patients should do outside opening hours",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown instead of “call the clinic” when it is closed. Empty: the after-hours phone, "
        "or the crisis line and emergency number.",
    )
    emergency_number = forms.CharField(label="Emergency number", max_length=20)
    crisis_line = forms.CharField(label="Crisis line", max_length=40)
    fasting_instructions = forms.CharField(
        label="Fasting instructions for patients",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your clinic's rule, as patients read it (e.g. no food for 6 hours, clear fluids until 2 hours "
        "before).",
    )

    home_bp_hold_systolic_mmhg = _mmhg_field(
        "Home blood pressure: contact the clinic above (systolic, mmHg)",
        HOLD_SYSTOLIC_RANGE_MMHG,
        "A patient's home reading above it is told to call the clinic; the emergency levels (180/120 with "
        "symptoms) apply whatever you set. Empty: only those levels.",
    )
    home_bp_hold_diastolic_mmhg = _mmhg_field(
        "Home blood pressure: contact the clinic above (diastolic, mmHg)", HOLD_DIASTOLIC_RANGE_MMHG
    )
    escalation_contact = forms.ChoiceField(
        label="Escalation contact",
        required=False,
        help_text="Who unacknowledged alerts escalate to. Empty: the longest-standing clinic admin.",
    )
    # Posted by the box the page shows when a new zone would change booked sessions' clock times; it
    # holds the zone confirmed, so it confirms only that change (clinics.services.update_clinic_settings).
    confirm_time_zone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    names_in_titles = forms.BooleanField(
        label="Show patients' full names in page titles and staff calendar entries",
        required=False,
        help_text="Off: titles carry initials and the record number, since browser history, synced tabs and "
        "third-party calendars keep them. Turn on only for workstations that do not sync.",
    )

    def __init__(self, *args: Any, contacts: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.fields["time_zone"]
        assert isinstance(zone, forms.ChoiceField)  # noqa: S101 - declared above
        zone.choices = time_zone_choices(str(self.initial.get("time_zone") or ""))
        field = self.fields["escalation_contact"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [("", "The longest-standing clinic admin"), *(contacts or [])]
        for day, name in zip(DAYS, DAY_NAMES, strict=True):
            self.fields[f"{day}_opens"] = _day_field(f"{name} opens")
            self.fields[f"{day}_closes"] = _day_field(f"{name} closes")
        self.order_fields(SETTINGS_PAGE_ORDER)

    def error_summary(self) -> list[dict[str, str]]:
        """Every error in page order, each with the link to its field (GOV.UK error summary); one the
        page cannot point to (above the form, or a hidden field's) has no link."""
        summary = [{"href": "", "message": str(message)} for message in self.non_field_errors()]
        for name, field in self.fields.items():
            bound = self[name]
            if field.widget.is_hidden:
                summary += [{"href": "", "message": str(message)} for message in bound.errors]
                continue
            prefix = (
                "" if name.endswith(("_opens", "_closes")) else f"{_SUMMARY_NAMES.get(name, field.label)}: "
            )
            summary += [
                {"href": f"#{bound.id_for_label}", "message": f"{prefix}{message}"}
                for message in bound.errors
            ]
        return summary

    def day_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (name, self[f"{day}_opens"], self[f"{day}_closes"])
            for day, name in zip(DAYS, DAY_NAMES, strict=True)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day, name in zip(DAYS, DAY_NAMES, strict=True):
            opens: dt.time | None = data.get(f"{day}_opens")
            closes: dt.time | None = data.get(f"{day}_closes")
            if (
                (opens is None) != (closes is None)
                and not self.has_error(f"{day}_opens")
                and not self.has_error(f"{day}_closes")
            ):
                self.add_error(
                    f"{day}_closes", f"{name}: give both the opening and the closing time, or neither"
                )
            elif opens is not None and closes is not None and opens >= closes:
                self.add_error(
                    f"{day}_closes",
                    f"{name}: closing time must be after opening time ({opens:%H:%M})",
                )
        return data

    def intervals(self) -> list[Interval]:
        found = []
        for weekday, day in enumerate(DAYS):
            opens, closes = self.cleaned_data.get(f"{day}_opens"), self.cleaned_data.get(f"{day}_closes")
            if opens is not None and closes is not None:
                found.append(Interval(weekday, opens, closes))
        return found


def settings_initial(clinic: Clinic) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "time_zone": clinic.time_zone,
        "phone": clinic.phone,
        "after_hours_phone": clinic.after_hours_phone,
        "after_hours_instructions": clinic.after_hours_instructions,
        "emergency_number": clinic.emergency_number,
        "crisis_line": clinic.crisis_line,
        "fasting_instructions": clinic.fasting_instructions,
        "names_in_titles": clinic.names_in_titles,
        "home_bp_hold_systolic_mmhg": clinic.home_bp_hold_systolic_mmhg,
        "home_bp_hold_diastolic_mmhg": clinic.home_bp_hold_diastolic_mmhg,
        "escalation_contact": str(clinic.escalation_contact.public_id) if clinic.escalation_contact else "",
    }
    for hours in clinic.opening_hours.all():
        day = DAYS[hours.weekday]
        initial[f"{day}_opens"] = hours.opens_at
        initial[f"{day}_closes"] = hours.closes_at
    return initial
