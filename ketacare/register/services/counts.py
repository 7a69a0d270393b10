"""Blind counts, discrepancies and their investigation, loss and theft reports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_clinic_alert, resolve_cause_alert
from ketacare.clinics.models import Clinic
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.register import rules
from ketacare.register.models import (
    CountLine,
    Discrepancy,
    Entry,
    LossReport,
    Lot,
    StockCount,
    StorageLocation,
)
from ketacare.register.services._common import (
    INVESTIGATORS,
    RECORDERS,
    _audit_write,
    _mg,
    _post,
    _require_role,
    _text,
    _units,
    balance_mg,
    fmt_mg,
    outstanding_mg,
    register_settings,
)


def count_lots(clinic: Clinic, location: StorageLocation) -> list[Lot]:
    """The lots a count of this location must cover: every lot that ever had an entry there."""
    ids = Entry.objects.filter(location=location).values_list("lot_id", flat=True).distinct()
    return list(
        Lot.objects.filter(pk__in=ids)
        .select_related("product")
        .order_by("product__name", "expires_on", "number")
    )


def submit_count(
    *,
    clinic: Clinic,
    user: User,
    location: StorageLocation,
    kind: str,
    counted_units: dict[str, int],
    now: dt.datetime | None = None,
) -> StockCount:
    """A blind count: units per lot (by lot public id), compared with the expected on-hand amount.

    Any difference opens a discrepancy that an administrator or a prescriber must investigate, and
    raises its alert in the clinic's inbox in the same transaction (docs/decisions/0021).
    """
    _require_role(user, clinic.pk, RECORDERS, "kind", "record in the register")
    if kind not in StockCount.Kind.values:
        raise FieldError("kind", f"kind {kind!r} is not one of {', '.join(StockCount.Kind.values)}")
    if location.clinic_id != clinic.pk:
        raise FieldError("location", "the location must belong to this clinic")
    now = now or timezone.now()
    lots = count_lots(clinic, location)
    known = {str(lot.public_id): lot for lot in lots}
    for key in counted_units:
        if key not in known:
            raise FieldError("lot", f"lot {key[:40]!r} is not kept in {location.name}")
    for lot in lots:
        if str(lot.public_id) not in counted_units:
            raise FieldError(
                f"lot_{lot.public_id}", f"enter the count of lot {lot.number} (0 if there is none)"
            )
    with transaction.atomic():
        count = StockCount.objects.create(
            clinic=clinic, location=location, kind=kind, counted_at=now, counted_by=user
        )
        for lot in lots:
            units = _units(f"lot_{lot.public_id}", counted_units[str(lot.public_id)], allow_zero=True)
            Lot.objects.select_for_update().filter(pk=lot.pk).first()
            expected = balance_mg(lot, location) - outstanding_mg(lot, location)
            counted = lot.product.mg_per_unit * units
            line = CountLine.objects.create(
                count=count, lot=lot, counted_units=units, counted_mg=counted, expected_mg=expected
            )
            _post(
                lot=lot,
                location=location,
                kind=Entry.Kind.COUNT,
                change_mg=Decimal("0.00"),
                user=user,
                occurred_at=now,
                field=f"lot_{lot.public_id}",
                count_line=line,
                reason=f"counted {units} {lot.product.unit_label}(s) = {fmt_mg(counted)} mg; expected {fmt_mg(expected)} mg",
            )
            if counted != expected:
                discrepancy = Discrepancy.objects.create(
                    clinic=clinic, line=line, difference_mg=counted - expected, raised_at=now
                )
                _raise_count_alert(discrepancy, count, lot, units)
        _audit_write(user, clinic, "register_count", count.public_id)
    return count


def _alert_key(discrepancy: Discrepancy) -> str:
    return f"register_discrepancy:{discrepancy.public_id}"


def _raise_count_alert(discrepancy: Discrepancy, count: StockCount, lot: Lot, units: int) -> None:
    """The clinic-level alert of one count difference: urgent when stock is missing."""
    line = discrepancy.line
    difference = fmt_mg(discrepancy.difference_mg)
    when = count.counted_at.astimezone(zoneinfo.ZoneInfo(count.clinic.time_zone))
    raise_clinic_alert(
        clinic=count.clinic,
        source=Alert.Source.REGISTER_COUNT,
        severity=Alert.Severity.URGENT if discrepancy.difference_mg < 0 else Alert.Severity.CONTACT_CLINIC,
        title=f"Count difference of {difference} mg: {lot.product.name}, lot {lot.number}, {count.location.name}",
        detail=(
            f"{count.get_kind_display()} count on {when:%Y-%m-%d %H:%M} ({count.clinic.time_zone}) by "
            f"{count.counted_by.full_name or count.counted_by.email}: {units} {lot.product.unit_label}(s) "
            f"= {fmt_mg(line.counted_mg)} mg counted, {fmt_mg(line.expected_mg)} mg expected "
            f"(difference {difference} mg). An administrator or a prescriber writes the investigation note "
            "in the controlled-drug register, which resolves this alert; a theft or significant loss also "
            "needs a loss report, which gives the authority's deadlines."
        ),
        dedupe_key=_alert_key(discrepancy),
        new_cause=True,
        evidence={
            "rule": "every blind count is compared with the register; a difference stays open until it is "
            "investigated (docs/regulations.md)",
            "discrepancy": str(discrepancy.public_id),
        },
    )


def investigate_discrepancy(*, discrepancy: Discrepancy, user: User, note: str) -> Discrepancy:
    """Close a discrepancy with the investigation's finding (required), resolving its alert with the same
    note; a correction, if due, is separate."""
    _require_role(
        user, discrepancy.clinic_id, INVESTIGATORS, "investigation_note", "investigate a count difference"
    )
    note = _text("investigation_note", note, required=True)
    with transaction.atomic():
        discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if discrepancy.state != Discrepancy.State.OPEN:
            raise ConflictError("investigation_note", "this discrepancy was already investigated")
        discrepancy.state = Discrepancy.State.INVESTIGATED
        discrepancy.investigation_note = note
        discrepancy.investigated_by = user
        discrepancy.investigated_at = timezone.now()
        discrepancy.save(update_fields=["state", "investigation_note", "investigated_by", "investigated_at"])
        resolve_cause_alert(
            clinic=discrepancy.clinic, dedupe_key=_alert_key(discrepancy), user=user, note=note
        )
        _audit_write(user, discrepancy.clinic, "register_discrepancy", discrepancy.public_id)
    return discrepancy


def report_loss(
    *,
    clinic: Clinic,
    user: User,
    kind: str,
    lot: Lot,
    amount_mg: Any,
    discovered_at: dt.datetime,
    description: str,
    discrepancy: Discrepancy | None = None,
) -> LossReport:
    """Record a theft or significant loss with the reporting dates of the clinic's jurisdiction."""
    _require_role(user, clinic.pk, INVESTIGATORS, "kind", "report a loss or theft")
    settings_row = register_settings(clinic.pk)
    if settings_row is None:
        raise ConflictError("kind", "the clinic administrator has not started the register yet")
    if kind not in LossReport.Kind.values:
        raise FieldError("kind", f"kind {kind!r} is not one of {', '.join(LossReport.Kind.values)}")
    amount = _mg("amount_mg", amount_mg)
    if amount <= 0:
        raise FieldError("amount_mg", "amount_mg must be above 0")
    description = _text("description", description, required=True)
    if lot.clinic_id != clinic.pk:
        raise FieldError("lot", "the lot must belong to this clinic")
    now = timezone.now()
    if discovered_at > now + dt.timedelta(minutes=5):
        raise FieldError("discovered_at", "discovered_at is in the future")
    deadlines = rules.loss_deadlines(settings_row.jurisdiction, discovered_at, clinic.time_zone)
    with transaction.atomic():
        report = LossReport.objects.create(
            clinic=clinic,
            kind=kind,
            lot=lot,
            amount_mg=amount,
            discovered_at=discovered_at,
            description=description,
            jurisdiction=settings_row.jurisdiction,
            deadlines=[
                {
                    "id": d.id,
                    "label": d.label,
                    "due_on": d.due_on.isoformat(),
                    "source": d.source,
                    "verified": d.verified,
                }
                for d in deadlines
            ],
            discrepancy=discrepancy,
            reported_by=user,
        )
        _audit_write(user, clinic, "register_loss_report", report.public_id)
    return report
