"""`{% call_clinic clinic %}`: the "call the clinic" line as patients should read it now.

In opening hours it offers the clinic phone; outside them it says what to do instead (the after-hours
line and instructions, or the crisis line and emergency number). Any patient-facing template can use it
without its view computing anything: `{% load clinic_contact %}{% call_clinic clinic %}`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import clinic_contact

register = template.Library()


@register.inclusion_tag("clinics/_call_clinic.html")
def call_clinic(clinic: Clinic) -> dict[str, Any]:
    # "America/New_York" reads "New York time": the place, as a patient would say it.
    place = clinic.time_zone.rsplit("/", 1)[-1].replace("_", " ")
    return {"clinic": clinic, "contact": clinic_contact(clinic, timezone.now()), "zone_place": place}
