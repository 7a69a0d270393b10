"""The intake screening's SPRAVATO REMS form line follows the route of the patient's plan (kept by
treatments, read through patients.facts): an esketamine plan shows it, an IV plan does not."""

from __future__ import annotations

import re

import pytest

from ketacare.intake.services import record_medications
from ketacare.intake.tests.conftest import intake_url
from tests.support.clinic_hours import page_text
from tests.support.cohort import add_plan
from tests.support.pathway import screened

pytestmark = pytest.mark.django_db


def _screening_text(client, patient) -> str:
    page = client.get(intake_url("page", patient)).content.decode()
    section = re.search(r'<section id="intake-screening".*?</section>', page, re.S)
    assert section, "no screening section"
    return page_text(section.group(0))


@pytest.mark.parametrize(("route", "shown"), [("esketamine_in", True), ("iv", False)])
def test_the_rems_line_shows_for_an_esketamine_plan_only(personas, client_for, route, shown):
    record_medications(
        patient=personas.a1, user=personas.clinician_a, medications=["lorazepam 1 mg at night"]
    )
    screened(patient=personas.a1, user=personas.clinician_a)
    add_plan(personas.a1, route, personas.clinician_a)
    text = _screening_text(client_for("clinician_a"), personas.a1)
    line = "Esketamine nasal spray (SPRAVATO) REMS patient monitoring form: tick yes for Benzodiazepines."
    assert (line in text) is shown
    assert ("tick yes for" in text) is shown
