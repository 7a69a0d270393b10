"""My records: a FHIR R4 Bundle that validates, a CSV, and a PDF whose text carries the scores."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.audit.models import AccessEvent
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.journal.services import write_journal_entry
from ketacare.questionnaires.services import submit_questionnaire
from ketacare.treatments.models import AdverseEvent, VitalSign
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(personas: Any) -> Any:
    now = timezone.now()
    patient = personas.a1
    make_dose(patient, started_at=now - dt.timedelta(days=7))
    session = make_dose(patient, started_at=now - dt.timedelta(days=2))
    common = {
        "clinic": patient.clinic,
        "patient": patient,
        "session": session,
        "created_by": personas.clinician_a,
    }
    VitalSign.objects.create(
        **common,
        kind="in_session",
        measured_at=session.dose_started_at,
        systolic_mmhg=142,
        diastolic_mmhg=88,
        heart_rate_bpm=84,
        spo2_pct=97,
    )
    AdverseEvent.objects.create(
        **common, occurred_at=session.dose_started_at, description="Vomited once", severity="mild"
    )
    for n, (days, value) in enumerate([(8, 2), (1, 1)]):
        submit_questionnaire(
            patient=patient,
            instrument_id="phq9",
            answers={f"phq9.q{i}": (value if i < 9 else 0) for i in range(1, 10)},
            idempotency_key=f"q{n}",
            now=now - dt.timedelta(days=days),
        )
    submit_checkin(
        patient=patient,
        idempotency_key="c1",
        reports=[ReportIn("nausea", "mild")],
        mood=7,
        note="=cmd|' /C calc'!A0",
        now=now - dt.timedelta(days=2) + dt.timedelta(hours=2),
    )
    write_journal_entry(
        patient=patient,
        text="A private thought",
        shared_with_clinic=False,
        prompt_id="",
        idempotency_key="j",
        now=now,
    )
    return patient


def test_the_fhir_bundle_parses_and_validates_with_fhir_resources(history: Any, client_for: Any) -> None:
    from fhir.resources.R4B.bundle import Bundle

    response = client_for("a1").get(reverse("interop:records_fhir"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    bundle = Bundle.model_validate(json.loads(response.content))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    for kind in (
        "Patient",
        "Encounter",
        "MedicationAdministration",
        "Observation",
        "QuestionnaireResponse",
        "AdverseEvent",
    ):
        assert kind in kinds
    totals = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation" and e.resource.code.coding
    ]
    phq9 = [o for o in totals if o.code.coding[0].code == "44261-6"]  # PHQ-9 total, LOINC
    assert sorted(o.valueQuantity.value for o in phq9) == [8, 16]
    codes = {c.code for o in totals for c in o.code.coding}
    assert {"85354-9", "8867-4", "59408-5"} <= codes  # vital signs, LOINC
    panel = next(o for o in totals if o.code.coding[0].code == "85354-9")
    assert {c.code.coding[0].code: c.valueQuantity.value for c in panel.component} == {
        "8480-6": 142,
        "8462-4": 88,
    }
    events = [e.resource.event.text for e in bundle.entry if e.resource.get_resource_type() == "AdverseEvent"]
    assert "Vomited once" in events and "Feeling sick (nausea)" in events


def test_the_pdf_text_carries_the_patients_scores(history: Any, client_for: Any) -> None:
    from pypdf import PdfReader

    response = client_for("a1").get(reverse("interop:records_pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Alice CanaryA1" in text
    assert "PHQ-9 score 16" in text and "PHQ-9 score 8" in text
    assert "phq9" not in text.lower().replace("phq-9", "")


def test_the_csv_has_every_record_and_defuses_formulas(history: Any, client_for: Any) -> None:
    response = client_for("a1").get(reverse("interop:records_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    kinds = {row[0] for row in rows[1:]}
    assert kinds == {
        "dose",
        "vital signs",
        "adverse event",
        "questionnaire",
        "check-in",
        "symptom",
        "journal",
    }
    note = next(row for row in rows if row[0] == "check-in")[4]
    assert note.startswith("'=")
    # Display names, not internal ids; times on the patient's clock with its offset.
    assert {row[2] for row in rows if row[0] == "questionnaire"} <= {"PHQ-9", "GAD-7"}
    assert not [cell for row in rows[1:] for cell in row[:4] if re.search(r"[a-z]+_[a-z_]+|phq9|gad7", cell)]
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(history.time_zone)
    for row in rows[1:]:
        if row[1]:
            when = dt.datetime.fromisoformat(row[1])
            assert when.utcoffset() == when.astimezone(zone).utcoffset(), row


def test_each_download_is_audited_as_an_export(history: Any, client_for: Any) -> None:
    client = client_for("a1")
    for name in ("interop:records_fhir", "interop:records_csv", "interop:records_pdf"):
        response = client.get(reverse(name))
        event = AccessEvent.objects.get(request_id=response["X-Request-ID"])
        assert event.action == "export" and event.outcome == "granted"


def test_a_records_download_never_carries_another_patients_data(
    history: Any, personas: Any, client_for: Any
) -> None:
    write_journal_entry(
        patient=personas.a2,
        text="CanaryA2 secret",
        shared_with_clinic=True,
        prompt_id="",
        idempotency_key="x",
        now=timezone.now(),
    )
    client = client_for("a1")
    for name in ("interop:records_fhir", "interop:records_csv"):
        body = client.get(reverse(name)).content
        assert b"CanaryA2" not in body and b"CanaryB1" not in body


def test_the_csv_names_its_time_format_and_says_yes_or_no(history: Any, client_for: Any) -> None:
    client = client_for("a1")

    def rows() -> list[list[str]]:
        return list(csv.reader(io.StringIO(client.get(reverse("interop:records_csv")).content.decode())))

    header, *body = rows()
    assert header[1] == "when (New York time, the clinic's time, with its offset from UTC)"
    # Every time to the second, never with microseconds.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", row[1]) for row in body if row[1])
    (started,) = [row[1] for row in body if row[0] == "symptom"]
    # The row's time is the report, not the start, which the patient left as "not sure".
    assert [row[4] for row in body if row[0] == "symptom"] == [
        f"reported at this time; when it began: not sure; ongoing: still there when last asked, {started}"
    ]
    # A later check-in without the nausea closes its episode: it went by then, not at that moment.
    later = timezone.now() + dt.timedelta(minutes=5)
    submit_checkin(patient=history, idempotency_key="c2", reports=[], mood=8, note="", now=later)
    (detail,) = [row[4] for row in rows() if row[0] == "symptom"]
    gone_by = detail.split("gone by ", 1)[1].split(" ")[0]
    assert dt.datetime.fromisoformat(gone_by) == later.replace(microsecond=0)
    assert detail.endswith(f"; gone by {gone_by} (last there {started})")
