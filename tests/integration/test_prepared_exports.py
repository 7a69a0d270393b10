"""Large exports go through the task queue (docs/decisions/0018): the audit report's CSV above the inline
limit is prepared by a job (here the queue's synchronous mode), shown as "being prepared", downloaded by
the administrator who asked and nobody else, and removed when it expires. A worker that dies mid-render
is replaced after its lease without leaving its partial file behind."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from conftest import login
from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import StaffMembership
from ketacare.ops.exports import (
    MAX_ATTEMPTS,
    _claim,
    expire_exports,
    lease,
    request_export,
    run_export,
)
from ketacare.ops.models import PreparedExport, PreparedExportChunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_inline_limit(settings: Any) -> Any:
    settings.EXPORT_INLINE_MAX_ROWS = 3
    # Small pieces, so that even a test-sized file is stored and read back in several chunks.
    settings.EXPORT_CHUNK_BYTES = 700
    return settings


def _events(personas: Any, n: int) -> None:
    for i in range(n):
        record_access_event(
            user=personas.clinician_a,
            action="read",
            outcome="granted",
            patient=personas.a1,
            object_type="patient",
            object_id=f"event-{i}",
        )


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def _download(client: Client, url: str) -> Any:
    response = client.get(url)
    response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response


def test_a_large_audit_csv_is_prepared_by_the_queue_and_downloaded_by_its_requester(
    personas: Any, small_inline_limit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _events(personas, 12)
    admin = login(Client(), personas.admin_a)
    report = admin.get(reverse("audit:report"))
    assert b"Prepare CSV" in report.content and b"Download CSV</a>" not in report.content
    # The inline link, followed anyway, offers the queue instead of holding the web worker.
    offered = admin.get(reverse("audit:csv"))
    assert offered.status_code == 200 and b"Prepare the CSV file" in offered.content

    with django_capture_on_commit_callbacks(execute=True):
        asked = admin.post(reverse("audit:export"), {"user": "clinician.a@example.org"})
    export = PreparedExport.objects.get()
    assert asked.status_code == 302 and asked["Location"] == reverse(
        "ops:export", kwargs={"export_id": export.public_id}
    )
    assert export.state == "ready" and export.row_count == 12 and export.expected_rows == 12
    assert PreparedExportChunk.objects.filter(export=export).count() > 1  # stored in pieces

    page = admin.get(asked["Location"])
    assert page.status_code == 200 and b"Download ketacare-audit-" in page.content
    assert b"Only you can download it" in page.content and b'http-equiv="refresh"' not in page.content
    download = _download(admin, reverse("ops:export_download", kwargs={"export_id": export.public_id}))
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    assert int(download["Content-Length"]) == len(download.body) == export.size_bytes
    rows = _rows(download.body)
    assert rows[0][:3] == ["occurred_at", "user_email", "role"] and len(rows) == 13
    assert {r[1] for r in rows[1:]} == {"clinician.a@example.org"}

    # The same rows as the inline export of the same filter.
    small_inline_limit.EXPORT_INLINE_MAX_ROWS = 10_000
    inline = _download(admin, reverse("audit:csv") + "?user=clinician.a@example.org")
    assert _rows(inline.body) == rows

    # Asking, looking and downloading are each audited, with the export's id.
    audited = AccessEvent.objects.filter(object_id=str(export.public_id)).values_list(
        "action", "object_type", "outcome"
    )
    assert set(audited) == {
        ("export", "audit_report", "granted"),
        ("read", "prepared_export", "granted"),
        ("export", "prepared_export", "granted"),
    }
    # The report page lists the administrator's exports.
    assert str(export.public_id).encode() in admin.get(reverse("audit:report")).content


def test_the_export_holds_the_events_up_to_the_moment_it_was_asked_for(
    personas: Any, small_inline_limit: Any
) -> None:
    _events(personas, 5)
    export = request_export(
        user=personas.admin_a,
        kind="audit_csv",
        clinic=personas.clinic_a,
        params={"user": "clinician.a@example.org"},
        filename_stem="ketacare-audit",
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        _events(personas, 3)  # written while it waited for a worker
        assert run_export(export.pk) == f"5 rows, {PreparedExport.objects.get().size_bytes} bytes"


def test_while_it_waits_the_page_says_it_is_being_prepared_and_the_download_leads_there(
    personas: Any, small_inline_limit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _events(personas, 6)
    admin = login(Client(), personas.admin_a)
    # No worker has taken it yet (its on-commit queueing is dropped, as if the web process died).
    with django_capture_on_commit_callbacks(execute=False):
        admin.post(reverse("audit:export"))
    export = PreparedExport.objects.get()
    page = admin.get(reverse("ops:export", kwargs={"export_id": export.public_id}))
    assert export.state == "pending"
    assert b"Your file is being prepared" in page.content and b'http-equiv="refresh"' in page.content
    early = admin.get(reverse("ops:export_download", kwargs={"export_id": export.public_id}))
    assert early.status_code == 302 and early["Location"] == reverse(
        "ops:export", kwargs={"export_id": export.public_id}
    )
    # The backstop, written in the export's own transaction, starts it two minutes on.
    backstop = Schedule.objects.get(name=f"export-start-{export.public_id}")
    assert backstop.func == "ketacare.ops.exports.run_export" and backstop.args == repr(export.pk)
    assert (
        dt.timedelta(minutes=1) < backstop.next_run - export.created_at <= dt.timedelta(minutes=2, seconds=5)
    )
    assert run_export(export.pk).endswith("bytes")
    assert run_export(export.pk) == "skipped"  # the backstop firing after the worker: nothing twice


def test_only_the_requester_while_still_an_administrator_reaches_the_export(
    personas: Any, small_inline_limit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _events(personas, 6)
    other_admin = User.objects.create_user("admin2.a@example.org", None, full_name="Second Admin")
    StaffMembership.objects.create(user=other_admin, clinic=personas.clinic_a, role="clinic_admin")
    admin = login(Client(), personas.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("audit:export"))
    export = PreparedExport.objects.get()
    urls = [
        reverse("ops:export", kwargs={"export_id": export.public_id}),
        reverse("ops:export_download", kwargs={"export_id": export.public_id}),
    ]
    colleague = login(Client(), other_admin)
    for url in urls:
        response = colleague.get(url)
        assert response.status_code == 404
        assert AccessEvent.objects.filter(
            request_id=response["X-Request-ID"], outcome="denied", object_type="prepared_export"
        ).exists()
    assert colleague.get(reverse("ops:export", kwargs={"export_id": "not-a-uuid"})).status_code == 404
    # Demoted after asking: the audit report's own rule applies to the file too.
    StaffMembership.objects.filter(user=personas.admin_a).update(role="nurse")
    StaffMembership.objects.create(user=personas.admin_a, clinic=personas.clinic_b, role="clinic_admin")
    demoted = login(Client(), personas.admin_a)
    assert [demoted.get(url).status_code for url in urls] == [404, 404]


def test_the_file_expires_and_is_removed(
    personas: Any, small_inline_limit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    small_inline_limit.EXPORT_TTL_HOURS = 2
    _events(personas, 6)
    admin = login(Client(), personas.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("audit:export"))
    export = PreparedExport.objects.get()
    assert export.expires_at is not None
    assert dt.timedelta(hours=2) - (export.expires_at - export.finished_at) < dt.timedelta(seconds=1)  # type: ignore[operator]
    # Its removal is scheduled for that moment (a one-off job of the queue).
    expiry = Schedule.objects.get(name=f"export-expiry-{export.public_id}")
    assert expiry.func == "ketacare.ops.exports.expire_exports" and expiry.next_run == export.expires_at
    download = reverse("ops:export_download", kwargs={"export_id": export.public_id})
    with time_machine.travel(export.expires_at + dt.timedelta(seconds=1)):
        gone = login(Client(), personas.admin_a).get(download)  # a new session: the first one idled out
        assert gone.status_code == 410 and b"This file has expired" in gone.content
        assert expire_exports() == "expired 1, forgot 0"
    export.refresh_from_db()
    assert export.state == "expired" and not PreparedExportChunk.objects.exists()
    page = login(Client(), personas.admin_a).get(
        reverse("ops:export", kwargs={"export_id": export.public_id})
    )
    assert b"This file has expired" in page.content
    with time_machine.travel(export.created_at + dt.timedelta(days=31)):
        assert expire_exports() == "expired 0, forgot 1"


def test_a_worker_that_dies_mid_render_is_replaced_after_its_lease_and_leaves_nothing(
    personas: Any, small_inline_limit: Any
) -> None:
    _events(personas, 6)
    export = request_export(
        user=personas.admin_a, kind="audit_csv", clinic=personas.clinic_a, params={}, filename_stem="a"
    )
    now = timezone.now()
    # A first worker claims it, writes part of the file, and is killed.
    assert _claim(export.pk, now) is not None
    PreparedExportChunk.objects.create(export=export, attempt=1, seq=0, data=b"partial file of a dead worker")
    assert run_export(export.pk) == "skipped"  # its lease still holds
    with time_machine.travel(now + lease() + dt.timedelta(seconds=1)):
        assert run_export(export.pk).endswith("bytes")
    export.refresh_from_db()
    assert export.state == "ready" and export.attempts == 2
    assert set(PreparedExportChunk.objects.values_list("attempt", flat=True)) == {2}


def test_an_export_whose_workers_keep_dying_is_marked_failed(personas: Any, small_inline_limit: Any) -> None:
    export = request_export(
        user=personas.admin_a, kind="audit_csv", clinic=personas.clinic_a, params={}, filename_stem="a"
    )
    t = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        assert _claim(export.pk, t) is not None
        t += lease() + dt.timedelta(seconds=1)
    assert run_export_at(export.pk, t) == "skipped"
    export.refresh_from_db()
    assert export.state == "failed" and export.error == "stopped before it finished"
    admin = login(Client(), personas.admin_a)
    page = admin.get(reverse("ops:export", kwargs={"export_id": export.public_id}))
    assert b"could not be prepared" in page.content


def run_export_at(export_id: int, at: dt.datetime) -> str:
    with time_machine.travel(at):
        return run_export(export_id)


def test_a_renderer_that_fails_marks_the_export_failed_without_a_file(personas: Any) -> None:
    # An audit export without its clinic cannot be rendered.
    export = request_export(
        user=personas.admin_a, kind="audit_csv", clinic=None, params={}, filename_stem="a"
    )
    assert run_export(export.pk) == "failed"
    export.refresh_from_db()
    assert export.state == "failed" and export.error == "LookupError"
    assert not PreparedExportChunk.objects.exists()


def test_a_small_report_still_streams_inline(personas: Any) -> None:
    _events(personas, 4)
    admin = login(Client(), personas.admin_a)
    assert b"Download CSV</a>" in admin.get(reverse("audit:report")).content
    response = _download(admin, reverse("audit:csv"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert not PreparedExport.objects.exists()


def test_bad_filters_ask_for_nothing(personas: Any, small_inline_limit: Any) -> None:
    admin = login(Client(), personas.admin_a)
    response = admin.post(reverse("audit:export"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert "To (1 May 2026) is before From (2 May 2026)" in html.unescape(response.content.decode())
    assert not PreparedExport.objects.exists()
