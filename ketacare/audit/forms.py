"""The audit report's filter form."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from ketacare.audit.selectors import PATIENT_MATCHES_SHOWN, patients_named
from ketacare.clinics.models import Clinic
from ketacare.lib.dates import DayField
from ketacare.patients.models import Patient


def _called(patient: Patient) -> str:
    record = patient.medical_record_number.strip()
    return f"{patient.full_name} (record {record})" if record else patient.full_name


class AuditFilterForm(forms.Form):
    """Filter by patient, user and date range (dates in the clinic's zone, inclusive).

    The patient is named as staff know them: a name or part of it, or a record number (the report's
    own links carry the patient's id). The cleaned value is the patient's id, what the events keep.
    """

    patient = forms.CharField(
        required=False,
        max_length=200,
        label="Patient",
        help_text=(
            "A name, part of a name or a record number. "
            "Choose a patient's name in the report to see only their events."
        ),
    )
    user = forms.EmailField(required=False, label="User e-mail")
    date_from = DayField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        # The patient the filter named, for the report's "only the events of ..." line.
        self.patient_found: Patient | None = None

    def clean_patient(self) -> str:
        words = " ".join(str(self.cleaned_data.get("patient") or "").split())
        if not words:
            return ""
        matches = patients_named(clinic=self.clinic, words=words)
        if len(matches) == 1:
            self.patient_found = matches[0]
            if _is_id(words):
                self._show_in_words(matches[0])
            return str(matches[0].public_id)
        if _is_id(words):
            # An id no patient of this clinic has now (a removed record): its events are still listed.
            return words.lower()
        if not matches:
            raise forms.ValidationError(
                f"no patient of this clinic has the name or record number “{words}”. "
                "Type part of the name, or the record number as it is on the patient's record."
            )
        listed = ", ".join(_called(p) for p in matches[:PATIENT_MATCHES_SHOWN])
        more = " and more" if len(matches) > PATIENT_MATCHES_SHOWN else ""
        raise forms.ValidationError(
            f"“{words}” matches more than one patient: {listed}{more}. "
            "Type more of the name, or the record number."
        )

    def _show_in_words(self, patient: Patient) -> None:
        """After a link from the report (an id), the box shows the name or else the record number,
        whichever names this patient alone: filtering again from the box then finds the same patient."""
        for words in (patient.full_name, patient.medical_record_number.strip()):
            if words and patients_named(clinic=self.clinic, words=words) == [patient]:
                self.data = {**self.data, self.add_prefix("patient"): words}
                return

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            # On the field a person corrects, in the words of the labels they read.
            self.add_error(
                "date_to",
                f"To ({end:%-d %b %Y}) is before From ({start:%-d %b %Y}): choose a day on or after From",
            )
        return data


def _is_id(words: str) -> bool:
    try:
        uuid.UUID(words)
    except ValueError:
        return False
    return True
