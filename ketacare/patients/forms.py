"""HTML input for registering a patient, correcting their details and archiving them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketacare.clinics.forms import time_zone_choices
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.patients.models import Patient
from ketacare.patients.services import DEMOGRAPHIC_FIELDS
from ketacare.patients.services import _clean as check_demographic


class PatientForm(forms.Form):
    """Demographics staff record at registration and may correct later (each correction is kept)."""

    full_name = forms.CharField(label="Full name", max_length=200)
    preferred_name = forms.CharField(label="Preferred name", max_length=100, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        # The browser's date picker shows the date in the user's own format: the message names none.
        error_messages={"invalid": "Enter a real date: day, month and year."},
    )
    sex = forms.ChoiceField(label="Sex", choices=Patient.Sex.choices)
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        required=False,
        help_text="Needed for the invitation to the patient app. An e-mail address or a phone number (or both).",
        error_messages={"invalid": "Enter an e-mail address, such as name@example.org."},
    )
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        help_text="An e-mail address or a phone number (or both).",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=())
    emergency_contact_name = forms.CharField(label="Emergency contact name", max_length=200, required=False)
    emergency_contact_phone = forms.CharField(label="Emergency contact phone", max_length=40, required=False)
    medical_record_number = forms.CharField(
        label="Record number",
        max_length=40,
        required=False,
        help_text="Left empty at registration, the patient gets the clinic's next number.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The canonical zones (as clinic settings offer), the patient's current one kept even if legacy.
        # Only the stored value is kept, never a posted one: that would make any text a valid choice.
        current = str(self.initial.get("time_zone") or "")
        self.fields["time_zone"].choices = time_zone_choices(current)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The service's own check of each value (a birth date in the future, a phone with letters), here
        # for every field at once: from the service only its first refusal would show, and the next
        # one after that was fixed.
        today = timezone.localdate()
        for name in DEMOGRAPHIC_FIELDS:
            if name in data and not self.has_error(name):
                try:
                    check_demographic(name, data[name], today=today)
                except FieldError as error:
                    add_field_error(self, error)
        if not self.has_error("email") and not data.get("email") and not data.get("phone"):
            self.add_error("email", "Give an e-mail address or a phone number (or both).")
        return data


class RegisterPatientForm(PatientForm):
    confirm_duplicate = forms.BooleanField(
        label="This is a different person with the same name and date of birth: register anyway",
        required=False,
    )


class ArchivePatientForm(forms.Form):
    """Archiving asks why: the reason is kept on the record and shown while the patient is archived."""

    reason = forms.CharField(
        label="Why is this patient archived?",
        max_length=500,
        help_text="For example: treatment finished, moved to another clinic, registered twice.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Say why the patient is archived (1 to 500 characters)."},
    )


def patient_initial(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in PatientForm.base_fields}
