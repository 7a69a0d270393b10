"""The baseline the clinic entered at intake is in every download, as on the Progress page, marked as theirs.

The Progress page measures a response from the intake baseline; a download that left it out would
not hold the score the patient's change is counted from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.intake.services import mark_entered_in_error, record_baseline_score
from ketacare.interop.fhir_common import KETACARE_OBSERVATION_CATEGORY
from ketacare.questionnaires.services import submit_questionnaire
from tests.support.fhir import strict_validate

pytestmark = pytest.mark.django_db

PHQ9_TOTAL = "44261-6"  # LOINC, the code the patient's own PHQ-9 totals carry
# 6 items at 3 and 2 at 1, item 9 at 0: a total of 20, the PHQ-9's "severe" band.
SEVERE_ANSWERS = [3, 3, 3, 3, 3, 3, 1, 1, 0]


@pytest.fixture
def baseline(personas: Any) -> Any:
    """Alice's PHQ-9 baseline of 20 entered by her clinician, and one answer of her own since (8)."""
    now = timezone.now()
    row = record_baseline_score(
        patient=personas.a1,
        user=personas.clinician_a,
        instrument_id="phq9",
        answers=SEVERE_ANSWERS,
        completed_at=now - dt.timedelta(days=30),
    )
    submit_questionnaire(
        patient=personas.a1,
        instrument_id="phq9",
        answers={f"phq9.q{i}": (1 if i < 9 else 0) for i in range(1, 10)},
        idempotency_key="after-baseline",
        now=now - dt.timedelta(days=1),
    )
    return row


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


def _fhir_baselines(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(
            c.get("system") == KETACARE_OBSERVATION_CATEGORY and c.get("code") == "intake-baseline"
            for cat in e["resource"].get("category", [])
            for c in cat.get("coding", [])
        )
    ]


def test_the_csv_has_the_baseline_marked_as_entered_by_the_clinic(
    baseline: Any, personas: Any, client_for: Any
) -> None:
    rows = list(
        csv.reader(io.StringIO(client_for("a1").get(reverse("interop:records_csv")).content.decode()))
    )
    (row,) = [r for r in rows if r[0] == "baseline score"]
    zone = ZoneInfo(personas.a1.time_zone)
    # To the second, as every KetaCare CSV writes a time.
    assert dt.datetime.fromisoformat(row[1]) == baseline.completed_at.replace(microsecond=0)
    assert dt.datetime.fromisoformat(row[1]).utcoffset() == baseline.completed_at.astimezone(zone).utcoffset()
    assert row[2:4] == ["PHQ-9", "20"]
    assert "severe" in row[4] and "entered by the clinic at intake" in row[4]
    # The series reads in order: the baseline first, then the patient's own answer.
    scores = [(r[0], r[3]) for r in rows if r[2] == "PHQ-9"]
    assert scores == [("baseline score", "20"), ("questionnaire", "8")]


def test_the_pdf_summary_lists_the_baseline_score_and_who_entered_it(baseline: Any, client_for: Any) -> None:
    text = _pdf_text(client_for("a1").get(reverse("interop:records_pdf")).content)
    assert "PHQ-9 score 20" in text and "PHQ-9 score 8" in text
    assert "entered by the clinic at intake" in text
    assert "The clinic, at intake" in text
    assert text.index("PHQ-9 score 20") < text.index("PHQ-9 score 8")


def test_the_fhir_bundle_carries_the_baseline_as_a_phq9_total_observation(
    baseline: Any, personas: Any, client_for: Any
) -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle = json.loads(client_for("a1").get(reverse("interop:records_fhir")).content)
    Bundle.model_validate(bundle)
    strict_validate(bundle)
    (observation,) = _fhir_baselines(bundle)
    assert observation["id"] == str(baseline.public_id)
    assert observation["code"]["coding"][0]["system"] == "http://loinc.org"
    assert observation["code"]["coding"][0]["code"] == PHQ9_TOTAL
    assert observation["valueQuantity"]["value"] == 20
    assert observation["interpretation"] == [{"text": "severe"}]
    assert dt.datetime.fromisoformat(observation["effectiveDateTime"]) == baseline.completed_at
    assert observation["subject"]["reference"] == f"urn:uuid:{personas.a1.public_id}"
    assert "entered by the clinic at intake" in observation["note"][0]["text"]
    assert {c["code"] for cat in observation["category"] for c in cat["coding"]} == {
        "survey",
        "intake-baseline",
    }
    totals = sorted(
        e["resource"]["valueQuantity"]["value"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"].get("coding", [{}])[0].get("code") == PHQ9_TOTAL
    )
    assert totals == [8, 20]


def test_a_baseline_marked_entered_in_error_is_in_no_download(
    baseline: Any, personas: Any, client_for: Any
) -> None:
    mark_entered_in_error(record=baseline, user=personas.clinician_a, reason="Scored the wrong form")
    client = client_for("a1")
    rows = list(csv.reader(io.StringIO(client.get(reverse("interop:records_csv")).content.decode())))
    assert not [r for r in rows if r[0] == "baseline score"]
    assert "PHQ-9 score 20" not in _pdf_text(client.get(reverse("interop:records_pdf")).content)
    assert not _fhir_baselines(json.loads(client.get(reverse("interop:records_fhir")).content))


def test_staff_read_search_and_export_the_baseline_through_the_fhir_api(
    baseline: Any, personas: Any, client_for: Any
) -> None:
    client = client_for("clinician_a")
    rid = str(baseline.public_id)
    read = client.get(f"/fhir/R4/Observation/{rid}")
    assert read.status_code == 200
    resource = json.loads(read.content)
    strict_validate(resource)
    assert resource["valueQuantity"]["value"] == 20
    found = json.loads(
        client.get(
            f"/fhir/R4/Observation?patient={personas.a1.public_id}&category=intake-baseline&code={PHQ9_TOTAL}"
        ).content
    )
    assert [e["resource"]["id"] for e in found["entry"]] == [rid]
    everything = json.loads(client.get(f"/fhir/R4/Patient/{personas.a1.public_id}/$everything").content)
    assert rid in {e["resource"]["id"] for e in everything["entry"]}
    assert client_for("clinician_b").get(f"/fhir/R4/Observation/{rid}").status_code == 404


def test_a_bulk_export_of_observations_carries_the_baseline(baseline: Any, personas: Any) -> None:
    from ketacare.interop.services import run_export_slice, start_bulk_export

    job = start_bulk_export(
        clinic=personas.a1.clinic,
        resource_types=["Observation"],
        since=None,
        now=timezone.now(),
        by=personas.admin_a,
    )
    while job.status == "in_progress":
        job = run_export_slice(job, limit=10)
    assert job.status == "complete"
    exported = [json.loads(line) for file in job.files.all() for line in file.ndjson.splitlines()]
    assert str(baseline.public_id) in {r["id"] for r in exported}
