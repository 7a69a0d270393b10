"""The patient list's rows built in Python are the template's rows, character for character, escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import Context, Template

from ketacare.patients.models import Patient
from ketacare.patients.templatetags.patient_rows import patient_rows

pytestmark = pytest.mark.django_db

# The row as the template wrote it before the rows moved to Python (the reference).
TEMPLATE_ROW = Template(
    "{% for p in patients %}"
    "{% if not forloop.first %}\n{% endif %}"
    "    <tr><td><a href=\"{% url 'patients:detail' p.public_id %}\">{{ p.full_name }}</a></td>"
    '<td>{{ p.date_of_birth|date:"Y-m-d" }}</td><td>{{ p.medical_record_number }}</td>'
    '<td>{{ p.get_stage_display }}</td><td>{{ p.primary_clinician|default:"—" }}</td></tr>'
    "{% endfor %}"
)


def test_rows_match_the_template_and_escape_every_field(personas: Any) -> None:
    odd = Patient.objects.create(
        clinic=personas.clinic_a,
        full_name='<script>alert("x")</script> & O\'Brien',
        date_of_birth=dt.date(1980, 2, 29),
        medical_record_number="MRN<1>",
        primary_clinician=None,
    )
    patients = list(
        Patient.objects.filter(pk__in=[personas.a1.pk, personas.a2.pk, odd.pk])
        .select_related("primary_clinician")
        .order_by("full_name")
    )
    built = str(patient_rows(patients))
    assert built == TEMPLATE_ROW.render(Context({"patients": patients}))
    assert "<script>" not in built and "&lt;script&gt;" in built and "MRN&lt;1&gt;" in built
    assert built.count("<tr>") == 3 and "<td>—</td>" in built
