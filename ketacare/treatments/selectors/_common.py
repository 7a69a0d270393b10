"""Zones and ages, which every part of the treatments reads."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ketacare.clinics.models import Clinic
from ketacare.patients.models import Patient


def clinic_zone(clinic: Clinic) -> zoneinfo.ZoneInfo:
    """The clinic's IANA zone."""
    return zoneinfo.ZoneInfo(clinic.time_zone)


def patient_zone(patient: Patient) -> zoneinfo.ZoneInfo:
    """The patient's IANA zone."""
    return zoneinfo.ZoneInfo(patient.time_zone)


def age_years(patient: Patient, on: dt.date) -> int:
    """Whole years of age on a date."""
    born = patient.date_of_birth
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
