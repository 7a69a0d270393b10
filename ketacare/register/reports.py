"""Register reports: the extract (CSV and PDF), the inventory record and the inspection pack (PDF).

CSV cells pass `ketacare.lib.csvsafe.csv_safe` (no spreadsheet formulas); PDFs are HTML rendered by
WeasyPrint, as the discharge sheet is. Times are on the clinic's clock: in the CSV an entry's time is
ISO 8601 to the second with its UTC offset (its header says so), in the PDF it reads as the ledger page
shows it ("2026-08-09 09:00"), the document naming the clinic's zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.lib.csvsafe import csv_safe
from ketacare.register import rules, selectors, services
from ketacare.register.models import Entry, Product


@dataclass(frozen=True)
class Period:
    clinic: Clinic
    start_on: dt.date
    end_on: dt.date
    product: Product | None
    # A report prepared by the queue holds the entries up to the moment it was asked for, so waiting
    # for a worker does not change what it contains.
    as_of: dt.datetime | None = None

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start, end = selectors.period(self.clinic, self.start_on, self.end_on)
        return start, min(end, self.as_of) if self.as_of is not None else end

    def params(self) -> dict[str, str]:
        """The period as plain values, stored with a prepared report."""
        return {
            "start": self.start_on.isoformat(),
            "end": self.end_on.isoformat(),
            "product": str(self.product.public_id) if self.product else "",
        }

    @classmethod
    def from_params(cls, clinic: Clinic, params: dict[str, Any], as_of: dt.datetime) -> Period:
        product = (
            Product.objects.get(clinic=clinic, public_id=params["product"]) if params.get("product") else None
        )
        return cls(
            clinic,
            dt.date.fromisoformat(params["start"]),
            dt.date.fromisoformat(params["end"]),
            product,
            as_of,
        )

    @property
    def slug(self) -> str:
        return f"{self.start_on:%Y%m%d}-{self.end_on:%Y%m%d}"


def _person(user: AnyUser | None) -> str:
    return (user.full_name or user.email) if isinstance(user, User) else ""


def extract_rows(user: AnyUser, period: Period) -> list[dict[str, str]]:
    """The period's register entries, one dict per entry keyed by COLUMNS (and the PDF's ``*_shown``)."""
    start, end = period.bounds
    zone = zoneinfo.ZoneInfo(period.clinic.time_zone)
    rows = selectors.ledger(
        user=user,
        clinic=period.clinic,
        product_id=period.product.pk if period.product else None,
        start=start,
        end=end,
        limit=None,
    )
    return [
        {
            # ISO 8601 on the clinic's clock with its UTC offset: the run-sheet's wall-clock time, and an
            # instant no reader of the file can misplace whatever zone they are in.
            "when": r.entry.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
            # What a person reads in the PDF: the ledger page's format, on the same clock.
            "when_shown": f"{r.entry.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}",
            "product": r.entry.lot.product.name,
            "lot": r.entry.lot.number,
            "expires": f"{r.entry.lot.expires_on:%Y-%m-%d}",
            "location": r.entry.location.name,
            "entry": r.entry.get_kind_display(),
            "change_mg": services.fmt_mg(r.entry.change_mg),
            "balance_after_mg": services.fmt_mg(r.entry.balance_after_mg),
            # What a person reads in the PDF: grouped thousands, as the ledger page shows them.
            "change_shown": services.show_mg(r.entry.change_mg),
            "balance_after_shown": services.show_mg(r.entry.balance_after_mg),
            "recorded_by": _person(r.entry.recorded_by),
            "witness": _person(r.entry.witness),
            "patient": r.patient_label,
            "detail": r.entry.reason,
        }
        for r in rows
    ]


COLUMNS = [
    ("when", "Date and time"),
    ("product", "Product"),
    ("lot", "Lot"),
    ("expires", "Expiry"),
    ("location", "Location"),
    ("entry", "Entry"),
    ("change_mg", "Change (mg)"),
    ("balance_after_mg", "Balance after (mg)"),
    ("recorded_by", "Recorded by"),
    ("witness", "Witness"),
    ("patient", "Patient"),
    ("detail", "Detail"),
]


def inventory(period: Period) -> list[selectors.StockRow]:
    """Stock on hand at the end of the period, as the register's stock page shows it: whole units in
    the safe apart from what is drawn out for sessions, each with its mg (never a fraction of a vial)."""
    _, end = period.bounds
    return selectors.stock(period.clinic, product=period.product, as_of=end)


# The CSV's header names the format of its times; the PDF's columns keep the short labels.
CSV_LABELS = {"when": "Date and time (clinic time, ISO 8601 with UTC offset)"}


def _csv(rows: list[dict[str, str]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([CSV_LABELS.get(key, label) for key, label in COLUMNS])
    for row in rows:
        writer.writerow([csv_safe(row[key], keep_numbers=key.endswith("_mg")) for key, _ in COLUMNS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF with WeasyPrint (imported lazily: it loads pango)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def write_pdf(html: str, target: io.RawIOBase) -> None:
    """Render HTML to PDF into a file object (a prepared export's chunks), never whole in memory twice."""
    from weasyprint import HTML

    HTML(string=html).write_pdf(target=target)


TITLES = {
    "extract": "Controlled-drug register extract",
    "inventory": "Controlled-drug inventory record",
    "inspection": "Controlled-drug inspection pack",
}


def entry_count(period: Period, kind: str) -> int:
    """How many register entries the document lists (the inventory record lists none)."""
    if kind == "inventory":
        return 0
    start, end = period.bounds
    entries = Entry.objects.filter(clinic=period.clinic, occurred_at__gte=start, occurred_at__lt=end)
    if period.product is not None:
        entries = entries.filter(lot__product=period.product)
    return entries.count()


def respond(user: AnyUser, period: Period, kind: str, fmt: str) -> HttpResponse:
    """The file for `kind` (extract, inventory, inspection) in `fmt` (csv for the extract, pdf)."""
    filename = f"register-{kind}-{period.slug}.{fmt}"
    if fmt == "csv":
        return _csv(extract_rows(user, period), filename)
    html, _ = document_html(user, period, kind)
    response = HttpResponse(to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def document_html(user: AnyUser, period: Period, kind: str) -> tuple[str, int]:
    """The PDF's HTML for `kind`, seen by `user`, and the number of register entries it lists."""
    rows = extract_rows(user, period) if kind in ("extract", "inspection") else []
    start, end = period.bounds
    settings_row = services.register_settings(period.clinic.pk)
    context: dict[str, Any] = {
        "title": TITLES[kind],
        "kind": kind,
        "clinic": period.clinic,
        "period": period,
        "product": period.product,
        "columns": COLUMNS,
        "rows": rows,
        "generated_at": (period.as_of or timezone.now()).astimezone(
            zoneinfo.ZoneInfo(period.clinic.time_zone)
        ),
        "generated_by": _person(user),
        "jurisdiction": rules.jurisdiction(settings_row.jurisdiction) if settings_row else None,
    }
    if kind in ("inventory", "inspection"):
        context["inventory"] = inventory(period)
    if kind == "inspection":
        context["counts"] = list(selectors.counts(period.clinic, start, end))
        context["discrepancies"] = list(selectors.discrepancies(period.clinic, start, end))
        context["losses"] = [
            r for r in selectors.loss_reports(period.clinic) if start <= r.discovered_at < end
        ]
    # Every time in the document on the clinic's clock, whoever renders it (a request in another
    # zone, or the worker, whose zone is UTC).
    with timezone.override(zoneinfo.ZoneInfo(period.clinic.time_zone)):
        return render_to_string("register/report_pdf.html", context), len(rows)
