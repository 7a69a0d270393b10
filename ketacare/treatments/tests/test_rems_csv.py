"""The REMS form's CSV reads as a person would: yes/no answers, times on the clinic's clock as ISO 8601 to
the second with their UTC offset (the header says so), an unanswered question blank, formulas defused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import services
from ketacare.treatments.models import RemsForm
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

TIME_NOTE = " (clinic time, ISO 8601 with UTC offset)"


@pytest.fixture
def submitted_form(personas: Any) -> RemsForm:
    session = make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    form = RemsForm.objects.get(session=session)
    return services.update_rems_form(
        form=form,
        user=personas.clinician_a,
        answers={
            "benzodiazepines": True,
            "non_benzo_sedative_hypnotics": False,
            "psychostimulants": False,
            "maois": False,
            "sedation_occurred": None,
        },
        submit=True,
        submission_reference="=FAX 555",
    )


def _row(client: Any, form: RemsForm) -> dict[str, str]:
    response = client.get(reverse("treatments:rems_csv", kwargs={"session_id": form.session.public_id}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))
    return row


def test_the_rems_csv_says_yes_or_no_and_gives_clinic_times_without_microseconds(
    submitted_form: RemsForm, personas: Any, client_for: Any
) -> None:
    row = _row(client_for("clinician_a"), submitted_form)
    assert row["benzodiazepines"] == "yes"
    assert row["non_benzo_sedative_hypnotics"] == row["psychostimulants"] == row["maois"] == "no"
    assert row["sedation_occurred"] == ""  # not answered
    assert not {v for v in row.values() if v in ("True", "False", "None")}
    zone = zoneinfo.ZoneInfo(personas.clinic_a.time_zone)
    for field, instant in (("due_at", submitted_form.due_at), ("submitted_at", submitted_form.submitted_at)):
        text = row[field + TIME_NOTE]
        assert "." not in text and "+00:00" not in text, text
        when = dt.datetime.fromisoformat(text)
        assert when == instant.replace(microsecond=0)
        assert when.utcoffset() == instant.astimezone(zone).utcoffset()
    assert row["submission_reference"] == "'=FAX 555"
