"""HTML input for registering a patient and correcting their details."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.clinics.forms import TIME_ZONES
from ketacare.patients.models import Patient


class PatientForm(forms.Form):
    """Demographics staff record at registration and may correct later (each correction is kept)."""

    full_name = forms.CharField(label="Full name", max_length=200)
    preferred_name = forms.CharField(label="Preferred name", max_length=100, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, e.g. 1984-03-01."},
    )
    sex = forms.ChoiceField(label="Sex", choices=Patient.Sex.choices)
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        required=False,
        help_text="Needed for the invitation to the patient app.",
        error_messages={"invalid": "Enter an e-mail address, such as name@example.org."},
    )
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    time_zone = forms.ChoiceField(label="Time zone", choices=[(z, z) for z in TIME_ZONES])
    emergency_contact_name = forms.CharField(label="Emergency contact name", max_length=200, required=False)
    emergency_contact_phone = forms.CharField(label="Emergency contact phone", max_length=40, required=False)
    medical_record_number = forms.CharField(label="Record number", max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.has_error("email") and not data.get("email") and not data.get("phone"):
            self.add_error("email", "Give an e-mail address or a phone number (or both).")
        return data


class RegisterPatientForm(PatientForm):
    confirm_duplicate = forms.BooleanField(
        label="This is a different person with the same name and date of birth: register anyway",
        required=False,
    )


def patient_initial(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in PatientForm.base_fields}
