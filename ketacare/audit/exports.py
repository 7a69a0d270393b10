"""The audit report as CSV: the filters as stored values, the rows, and the prepared (queued) export.

A clinic's audit trail grows with every access, so its CSV can run to millions of rows: up to
``EXPORT_INLINE_MAX_ROWS`` it streams from the request, beyond that the task queue prepares it
(ketacare.ops.exports, docs/decisions/0018) and the administrator who asked downloads it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import clinic_audit_events
from ketacare.audit.words import in_words, role_words
from ketacare.clinics.models import Clinic
from ketacare.lib.csvsafe import csv_safe
from ketacare.ops.exports import ExportKind, Output, requester_is_clinic_admin
from ketacare.ops.models import PreparedExport

KIND = "audit_csv"
CSV_COLUMNS = [
    "occurred_at",
    "user_email",
    "role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_public_id",
    "clinic_public_id",
    "ip_address",
    "request_id",
    "method",
    "path",
    # For a person reading the file: the time on the clinic's clock and the row as the page says it.
    "clinic_time",
    "role_in_words",
    "in_words",
]


def filter_params(cleaned: dict[str, Any]) -> dict[str, str]:
    """The filter form's values as plain strings (what a prepared export keeps)."""
    return {
        "patient": str(cleaned.get("patient") or ""),
        "user": str(cleaned.get("user") or ""),
        "date_from": cleaned["date_from"].isoformat() if cleaned.get("date_from") else "",
        "date_to": cleaned["date_to"].isoformat() if cleaned.get("date_to") else "",
    }


def filtered_events(
    clinic: Clinic, params: dict[str, str], *, until: dt.datetime | None = None
) -> QuerySet[AccessEvent]:
    """The clinic's events matching the filters; dates are the clinic's calendar days, inclusive."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    date_from = date_to = None
    if params.get("date_from"):
        date_from = dt.datetime.combine(dt.date.fromisoformat(params["date_from"]), dt.time.min, tzinfo=zone)
    if params.get("date_to"):
        day_after = dt.date.fromisoformat(params["date_to"]) + dt.timedelta(days=1)
        date_to = dt.datetime.combine(day_after, dt.time.min, tzinfo=zone)
    if until is not None:
        date_to = min(date_to, until) if date_to is not None else until
    return clinic_audit_events(
        clinic=clinic,
        patient_public_id=params.get("patient", ""),
        user_email=params.get("user", ""),
        date_from=date_from,
        date_to=date_to,
    )


STORED_COLUMNS = CSV_COLUMNS[: CSV_COLUMNS.index("clinic_time")]


def csv_row(event: AccessEvent, zone: zoneinfo.ZoneInfo) -> list[str]:
    stored = [
        event.occurred_at.isoformat() if c == "occurred_at" else csv_safe(getattr(event, c))
        for c in STORED_COLUMNS
    ]
    return [
        *stored,
        event.occurred_at.astimezone(zone).isoformat(),
        csv_safe(role_words(event.role)),
        csv_safe(in_words(event)),
    ]


def csv_rows(events: QuerySet[AccessEvent], zone: zoneinfo.ZoneInfo) -> Iterator[list[str]]:
    """The header, then one row per event, read from the database in batches."""
    yield CSV_COLUMNS
    for event in events.iterator(chunk_size=2000):
        yield csv_row(event, zone)


def write_csv(rows: Iterable[list[str]], out: Output) -> int:
    """Write rows to the export's output; return the number of events (the header is not one)."""
    text = io.TextIOWrapper(io.BufferedWriter(out, buffer_size=256 * 1024), encoding="utf-8", newline="")
    writer = csv.writer(text)
    count = -1
    for count, row in enumerate(rows):
        writer.writerow(row)
        if count % 5000 == 0:
            out.progress(count)
    text.flush()
    text.detach().detach()
    return max(count, 0)


def render_audit_csv(export: PreparedExport, out: Output) -> int:
    """The queue's renderer: the events up to the moment the administrator asked."""
    if export.clinic is None:
        raise LookupError("an audit export needs its clinic")
    events = filtered_events(export.clinic, export.params, until=export.created_at)
    return write_csv(csv_rows(events, zoneinfo.ZoneInfo(export.clinic.time_zone)), out)


AUDIT_CSV = ExportKind(
    name=KIND,
    title="Audit report (CSV)",
    render=render_audit_csv,
    # The audit report's own rule.
    may_access=requester_is_clinic_admin,
    content_type="text/csv; charset=utf-8",
    extension="csv",
    back_url="audit:report",
)
