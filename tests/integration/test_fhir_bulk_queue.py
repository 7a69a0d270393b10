"""Bulk $export runs on the task queue (Django-Q2, here in its synchronous mode; docs/decisions/0019).

The kick-off queues the job once its row is committed; the status URL only reports; a run that stops
half-way (a worker killed) is taken up again from the job's cursor without writing a slice twice.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Success

from ketacare.interop.models import BulkExportJob
from ketacare.interop.services import (
    EXPORT_TASK,
    resume_stalled_exports,
    run_bulk_export,
    run_export_slice,
    start_bulk_export,
)
from tests.support.fhir import make_history

pytestmark = pytest.mark.django_db


def _job(personas: Any, types: list[str]) -> BulkExportJob:
    return start_bulk_export(
        clinic=personas.clinic_a, resource_types=types, since=None, now=timezone.now(), by=personas.admin_a
    )


def _ids(job: BulkExportJob, kind: str) -> list[str]:
    file = job.files.get(resource_type=kind)
    ids = [json.loads(line)["id"] for line in file.ndjson.splitlines()]
    assert len(ids) == file.count
    return ids


def test_the_kick_off_queues_the_run_and_a_status_poll_does_no_work(
    personas: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_history(personas.a1, personas.clinician_a)
    admin = client_for("admin_a")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        kickoff = admin.get("/fhir/R4/$export?_type=Patient,Observation")
    assert kickoff.status_code == 202 and len(queued) == 1
    status_url = kickoff["Content-Location"]
    job = BulkExportJob.objects.get()
    for _ in range(3):  # the run has not started: polls answer progress and change nothing
        poll = admin.get(status_url)
        assert poll.status_code == 202 and poll["X-Progress"] == "0 of 2 patients"
    job.refresh_from_db()
    assert job.status == "in_progress" and job.patients_done == 0 and not job.files.exists()
    queued[0]()  # the worker takes the job (synchronous queue: it runs here)
    assert Success.objects.filter(func=EXPORT_TASK).count() == 1
    done = admin.get(status_url)
    assert done.status_code == 200
    assert {o["type"] for o in json.loads(done.content)["output"]} == {"Patient", "Observation"}


def test_a_run_taken_up_again_after_a_worker_died_writes_no_slice_twice(personas: Any) -> None:
    make_history(personas.a1, personas.clinician_a)
    make_history(personas.a2, personas.clinician_a)
    job = _job(personas, ["Patient", "Observation"])
    stale = BulkExportJob.objects.get(pk=job.pk)
    run_export_slice(job, limit=1)  # the worker saved one slice, then died
    again = run_export_slice(stale, limit=1)  # the queue delivers the same slice again
    assert again.patients_done == 1 and len(_ids(again, "Patient")) == 1
    summary = run_bulk_export(job.pk, limit=1)  # the re-delivered run resumes from the cursor
    job.refresh_from_db()
    assert job.status == "complete" and "complete" in summary
    patients = _ids(job, "Patient")
    assert sorted(patients) == sorted([str(personas.a1.public_id), str(personas.a2.public_id)])
    observations = _ids(job, "Observation")
    assert len(observations) == len(set(observations)) > 0
    run_bulk_export(job.pk)  # delivered once more after it finished: nothing changes
    job.refresh_from_db()
    assert _ids(job, "Patient") == patients and _ids(job, "Observation") == observations


def test_a_run_past_its_time_budget_queues_its_continuation(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = _job(personas, ["Patient"])
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_bulk_export(job.pk, budget_s=0, limit=1)
    assert "continues" in summary
    job.refresh_from_db()
    assert job.status == "complete" and len(_ids(job, "Patient")) == 2
    assert Success.objects.filter(func=EXPORT_TASK).count() == 1  # the continuation, through the queue


def test_the_sweep_queues_an_export_whose_run_was_lost(personas: Any) -> None:
    job = _job(personas, ["Patient"])  # created, but its run never queued (the queue was down)
    assert resume_stalled_exports() == 0  # too early to call it lost
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        assert resume_stalled_exports() == 1
    job.refresh_from_db()
    assert job.status == "complete" and len(_ids(job, "Patient")) == 2
    assert resume_stalled_exports(now=timezone.now() + dt.timedelta(hours=1)) == 0  # finished jobs stay
