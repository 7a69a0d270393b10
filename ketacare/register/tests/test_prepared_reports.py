"""A register PDF that lists more entries than the inline limit is prepared by the task queue (here its
synchronous mode through on-commit callbacks): offered instead of rendered in the request, holding the
entries up to the moment it was asked for, downloaded as a real PDF only by the administrator who asked
while still an administrator, with the same entries as the inline document. Bad input names its field
and queues nothing."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.ops.exports import request_export, run_export
from ketacare.ops.models import PreparedExport
from ketacare.register.exports import KIND
from tests.support.register import receive, start_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_register(personas: Any, settings: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lots = [receive(personas, product, location, units=1, lot_number=f"LOT-{i}") for i in range(4)]
    settings.REGISTER_PDF_INLINE_MAX_ENTRIES = 3
    return {"location": location, "product": product, "lots": lots}


def _period() -> dict[str, str]:
    today = timezone.now().date()
    return {
        "start": (today - dt.timedelta(days=30)).isoformat(),
        "end": (today + dt.timedelta(days=1)).isoformat(),
    }


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_long_register_extract_is_prepared_by_the_queue_for_the_administrator_who_asked(
    client_for: Any, personas: Any, busy_register: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = client_for("admin_a")
    offered = admin.get(reverse("register:extract_pdf"))
    assert offered.status_code == 200 and offered["Content-Type"].startswith("text/html")
    page = offered.content.decode()
    assert "This period holds 4 register entries" in page and "Prepare the PDF" in page
    assert not PreparedExport.objects.exists()  # offering writes nothing

    start, end = offered.context["form"]["start"].value(), offered.context["form"]["end"].value()
    with django_capture_on_commit_callbacks(execute=True):
        asked = admin.post(
            reverse("register:report_prepare"), {"report": "extract", "start": start, "end": end}
        )
    export = PreparedExport.objects.get()
    assert asked.status_code == 302 and asked["Location"] == reverse(
        "ops:export", kwargs={"export_id": export.public_id}
    )
    assert export.kind == KIND and export.state == "ready" and export.expected_rows == 4
    assert export.row_count == 4 and export.filename.endswith(".pdf")
    status = admin.get(asked["Location"]).content.decode()
    assert f"Download {export.filename}" in status

    download = admin.get(reverse("ops:export_download", kwargs={"export_id": export.public_id}))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = _text(_body(download))
    assert "Controlled-drug register extract" in text
    assert all(f"LOT-{i}" in text for i in range(4))

    # The reports page lists the administrator's prepared reports.
    assert export.filename in admin.get(reverse("register:reports")).content.decode()
    audited = set(
        AccessEvent.objects.filter(object_id=str(export.public_id)).values_list("action", "object_type")
    )
    assert audited == {
        ("export", "register_report"),
        ("read", "prepared_export"),
        ("export", "prepared_export"),
    }

    # Nobody else reaches it: another member of staff, or the same administrator once no longer one.
    url = reverse("ops:export_download", kwargs={"export_id": export.public_id})
    assert client_for("clinician_a").get(url).status_code == 404
    StaffMembership.objects.filter(user=personas.admin_a, clinic=personas.clinic_a).update(is_active=False)
    assert admin.get(url).status_code == 404


def test_below_the_limit_the_pdf_comes_inline_with_the_same_entries(
    client_for: Any, personas: Any, busy_register: dict[str, Any], settings: Any
) -> None:
    export = request_export(
        user=personas.admin_a,
        kind=KIND,
        clinic=personas.clinic_a,
        params={"report": "extract", **_period(), "product": ""},
        filename_stem="register-extract",
    )
    assert run_export(export.pk).startswith("4 rows")
    settings.REGISTER_PDF_INLINE_MAX_ENTRIES = 1000
    inline = client_for("admin_a").get(reverse("register:extract_pdf"), _period())
    assert inline["Content-Type"] == "application/pdf"
    prepared = b"".join(
        client_for("admin_a").get(reverse("ops:export_download", kwargs={"export_id": export.public_id}))
    )
    lots = {f"LOT-{i}" for i in range(4)}
    for text in (_text(inline.content), _text(prepared)):
        assert {lot for lot in lots if lot in text} == lots


def test_a_prepared_report_holds_the_entries_up_to_the_moment_it_was_asked_for(
    personas: Any, busy_register: dict[str, Any]
) -> None:
    export = request_export(
        user=personas.admin_a,
        kind=KIND,
        clinic=personas.clinic_a,
        params={"report": "inspection", **_period(), "product": ""},
        filename_stem="register-inspection",
    )
    # Recorded after the administrator asked, before a worker started: not in the document.
    receive(personas, busy_register["product"], busy_register["location"], units=1, lot_number="LATE-LOT")
    assert run_export(export.pk).startswith("4 rows")
    export.refresh_from_db()
    chunks = export.chunks.filter(attempt=export.attempts).order_by("seq").values_list("data", flat=True)
    text = _text(b"".join(bytes(c) for c in chunks))
    assert "Controlled-drug inspection pack" in text and "LOT-3" in text and "LATE-LOT" not in text
    # The worker runs in UTC; the document still reads on the clinic's clock.
    zone = personas.clinic_a.time_zone
    assert zone != "UTC"
    asked = export.created_at.astimezone(zoneinfo.ZoneInfo(zone))
    assert f"Generated {asked:%Y-%m-%d %H:%M} (New York)" in text and zone not in text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"report": "everything", "start": "2026-01-01", "end": "2026-02-01"}, "report"),
        ({"report": "extract", "start": "not a date", "end": "2026-02-01"}, "start"),
    ],
)
def test_a_bad_request_to_prepare_names_its_field_and_queues_nothing(
    client_for: Any, busy_register: dict[str, Any], form: dict[str, str], field: str
) -> None:
    refused = client_for("admin_a").post(reverse("register:report_prepare"), form)
    assert refused.status_code == 422
    assert field in refused.content.decode().lower()
    assert not PreparedExport.objects.exists()
