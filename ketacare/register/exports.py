"""The register's PDFs prepared by the task queue (docs/decisions/0018, docs/decisions/0021).

A register extract or inspection pack over a long period of a busy clinic lists thousands of entries;
WeasyPrint lays out such a document in tens of seconds, too long to hold a web worker. Above
``REGISTER_PDF_INLINE_MAX_ENTRIES`` entries the reports page offers to prepare the PDF instead: the
worker renders it as the requesting administrator would have seen it, holding the entries up to the
moment it was asked for, and only that administrator downloads it while still an administrator of the
clinic.
"""

from __future__ import annotations

from ketacare.ops.exports import ExportKind, Output, requester_is_clinic_admin
from ketacare.ops.models import PreparedExport
from ketacare.register import reports

KIND = "register_pdf"


def render_register_pdf(export: PreparedExport, out: Output) -> int:
    """The queue's renderer: the report named in the export's params, written straight into its file."""
    if export.clinic is None:
        raise LookupError("a register report needs its clinic")
    report = export.params["report"]
    if report not in reports.TITLES:
        raise LookupError(f"unknown register report {report!r}")
    period = reports.Period.from_params(export.clinic, export.params, as_of=export.created_at)
    html, entries = reports.document_html(export.requested_by, period, report)
    out.progress(entries)
    reports.write_pdf(html, out)
    return entries


REGISTER_PDF = ExportKind(
    name=KIND,
    title="Controlled-drug register report (PDF)",
    render=render_register_pdf,
    # The reports page's own rule: the clinic's administrators.
    may_access=requester_is_clinic_admin,
    content_type="application/pdf",
    extension="pdf",
    back_url="register:reports",
)
