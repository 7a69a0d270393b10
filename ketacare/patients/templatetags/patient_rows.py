"""The patient list's rows, written in Python as the alert inbox's are (docs/decisions/0027).

Up to 25 rows a page, five cells each: through the template engine the rows were about half of the
page's time (bench/profile_requests.py --workloads patients). ``format_html`` escapes every value; the
markup is the template's row, cell for cell.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ketacare.lib.urltag import uuid_url
from ketacare.patients.models import Patient

register = template.Library()


@register.simple_tag
def patient_rows(patients: Iterable[Patient]) -> SafeString:
    """One ``<tr>`` per patient: name (linked to the record), date of birth, record number, stage and
    primary clinician."""
    detail = uuid_url("patients:detail")
    return format_html_join(
        "\n",
        '    <tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                detail(p.public_id),
                p.full_name,
                p.date_of_birth.isoformat() if p.date_of_birth else "",
                p.medical_record_number,
                p.get_stage_display(),
                str(p.primary_clinician) if p.primary_clinician_id else "—",
            )
            for p in patients
        ),
    )
