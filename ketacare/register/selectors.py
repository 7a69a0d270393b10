"""Reads for the register: stock on hand, the ledger with who/when/which session, counts, discrepancies.

A ledger row names the patient of its session only for a reader who may see that patient (staff of
the patient's clinic), and each patient so named is audited once per request.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from ketacare.accounts.http import AnyUser
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.patients.selectors import staff_clinic_ids
from ketacare.register import services
from ketacare.register.models import (
    Discrepancy,
    Draw,
    Entry,
    LossReport,
    Lot,
    Product,
    StockCount,
    StorageLocation,
)
from ketacare.treatments.models import TreatmentSession


@dataclass(frozen=True)
class StockRow:
    lot: Lot
    location: StorageLocation
    balance_mg: Decimal
    drawn_out_mg: Decimal

    @property
    def in_safe_mg(self) -> Decimal:
        """What a count of the location finds: the balance less what is drawn out for open sessions
        (an open draw's remainder is still on the register's balance until it is wasted or returned)."""
        return self.balance_mg - self.drawn_out_mg

    @property
    def in_safe_units(self) -> int:
        """Whole vials or devices in the safe, as a count finds them: never a fraction of one."""
        return max(0, int(self.in_safe_mg // self.lot.product.mg_per_unit))

    @property
    def in_safe_units_mg(self) -> Decimal:
        return self.in_safe_units * self.lot.product.mg_per_unit

    @property
    def part_mg(self) -> Decimal:
        """mg in the safe beyond the whole units (a correction of part of a vial), shown apart in mg."""
        return self.in_safe_mg - self.in_safe_units_mg


@dataclass(frozen=True)
class LedgerRow:
    entry: Entry
    patient_label: str  # "" when there is no session or the reader may not see its patient
    # Its time is earlier than the row above: written after it (an infusion is posted when it is stopped,
    # with the time it started), so the balance still follows from the row above.
    earlier_than_above: bool = False


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def by_public_id(model: Any, clinic: Clinic, public_id: Any) -> Any:
    """A clinic's row by its public id, or Http404 (another clinic's is not found)."""
    key = _uuid(public_id)
    found = model.objects.filter(clinic=clinic, public_id=key).first() if key else None
    if found is None:
        raise Http404("Not found")
    return found


def locations(clinic: Clinic) -> QuerySet[StorageLocation]:
    return StorageLocation.objects.filter(clinic=clinic, active=True).order_by("name")


def usable_lots(clinic: Clinic, route: str, today: dt.date) -> list[StockRow]:
    """Lots of the session's route with something left to draw, by location (soonest expiry first)."""
    kind = "esketamine_device" if route == "esketamine_in" else "ketamine_vial"
    return [
        row
        for row in stock(clinic)
        if row.lot.product.kind == kind
        and row.lot.expires_on >= today
        and row.balance_mg - row.drawn_out_mg > 0
    ]


def stock(
    clinic: Clinic, *, product: Product | None = None, as_of: dt.datetime | None = None
) -> list[StockRow]:
    """Every lot at every location with its balance and what is drawn out for sessions, now or, with
    `as_of`, as the entries and draws before that moment left them (the inventory record of a period)."""
    entries = Entry.objects.filter(clinic=clinic)
    if product is not None:
        entries = entries.filter(lot__product=product)
    if as_of is not None:
        entries = entries.filter(occurred_at__lt=as_of)
    pairs = set(entries.values_list("lot_id", "location_id").distinct())
    lots = {lot.pk: lot for lot in Lot.objects.filter(clinic=clinic).select_related("product")}
    places = {place.pk: place for place in StorageLocation.objects.filter(clinic=clinic)}
    rows = []
    for lot_id, location_id in pairs:
        lot, place = lots[lot_id], places[location_id]
        if as_of is None:
            balance, drawn_out = services.balance_mg(lot, place), services.outstanding_mg(lot, place)
        else:
            balance = (
                entries.filter(lot=lot, location=place)
                .order_by("-id")
                .values_list("balance_after_mg", flat=True)
                .first()
            ) or Decimal("0.00")
            drawn_out = _drawn_out_at(lot, place, as_of)
        rows.append(StockRow(lot, place, balance, drawn_out))
    return sorted(rows, key=lambda r: (r.lot.product.name, r.location.name, r.lot.expires_on, r.lot.number))


def _drawn_out_at(lot: Lot, location: StorageLocation, moment: dt.datetime) -> Decimal:
    """mg drawn out of the location for sessions at `moment`: draws made before it and not closed by
    then, less what was administered from them before it."""
    total = Decimal("0")
    draws = Draw.objects.filter(lot=lot, location=location, drawn_at__lt=moment).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=moment)
    )
    for draw in draws:
        given = draw.entries.filter(kind=Entry.Kind.ADMINISTRATION, occurred_at__lt=moment).aggregate(
            total=Sum("change_mg")
        )["total"]
        total += draw.drawn_mg + (given or Decimal("0"))
    return total


def _entries(
    clinic: Clinic,
    *,
    lot: Lot | None = None,
    location: StorageLocation | None = None,
    product_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[Entry]:
    entries = Entry.objects.filter(clinic=clinic).select_related(
        "lot__product", "location", "recorded_by", "witness", "session__patient__clinic"
    )
    if lot is not None:
        entries = entries.filter(lot=lot)
    if location is not None:
        entries = entries.filter(location=location)
    if product_id is not None:
        entries = entries.filter(lot__product_id=product_id)
    if start is not None:
        entries = entries.filter(occurred_at__gte=start)
    if end is not None:
        entries = entries.filter(occurred_at__lt=end)
    return entries


def _rows(user: AnyUser, chosen: list[Entry]) -> list[LedgerRow]:
    """The entries as rows; the patient shown (and the access audited) only to staff who may see them."""
    visible = set(staff_clinic_ids(user)) if not hasattr(user, "patient") else set()
    rows: list[LedgerRow] = []
    for entry in chosen:
        label = ""
        session: TreatmentSession | None = entry.session
        if session is not None and session.patient.clinic_id in visible:
            label = session.patient.title_label()
            record_access_event(
                user=user,
                action="read",
                outcome="granted",
                patient=session.patient,
                object_type="register",
                object_id="ledger",
            )
        above = rows[-1].entry.occurred_at if rows else None
        rows.append(LedgerRow(entry, label, above is not None and entry.occurred_at < above))
    return rows


def ledger(
    *,
    user: AnyUser,
    clinic: Clinic,
    lot: Lot | None = None,
    location: StorageLocation | None = None,
    product_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int | None = 500,
) -> list[LedgerRow]:
    """The clinic's entries in order, filtered; the patient shown only to staff who may see them."""
    entries = _entries(clinic, lot=lot, location=location, product_id=product_id, start=start, end=end)
    # In the order written (the balance after each entry follows from the one before; a dose charted
    # after the fact keeps its own time but sits where it was recorded). The latest `limit`, oldest first.
    chosen = list(entries.order_by("-id")[:limit])[::-1] if limit else list(entries.order_by("id"))
    return _rows(user, chosen)


# Entries on one page of the ledger: a day's work at a busy clinic, short enough for a tablet.
LEDGER_PAGE_ENTRIES = 100


def ledger_page(
    *,
    user: AnyUser,
    clinic: Clinic,
    page: str | int | None,
    lot: Lot | None = None,
    location: StorageLocation | None = None,
) -> tuple[list[LedgerRow], Page[Entry]]:
    """One page of the ledger, page 1 the newest entries; within a page in the order written (the order
    the balances were computed in), so each balance follows from the row above of its lot and location,
    even where an infusion written when it was stopped carries an earlier time than the row above. A
    page number that is not one (text, 0, past the end) shows the nearest page, as a paginated list does."""
    entries = _entries(clinic, lot=lot, location=location).order_by("-id")
    chosen = Paginator(entries, LEDGER_PAGE_ENTRIES).get_page(page)
    return _rows(user, list(chosen.object_list)[::-1]), chosen


def open_discrepancies(clinic: Clinic) -> QuerySet[Discrepancy]:
    return (
        Discrepancy.objects.filter(clinic=clinic, state=Discrepancy.State.OPEN)
        .select_related("line__lot__product", "line__count__location", "line__count__counted_by")
        .order_by("raised_at")
    )


def discrepancies(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> QuerySet[Discrepancy]:
    return (
        Discrepancy.objects.filter(clinic=clinic, raised_at__gte=start, raised_at__lt=end)
        .select_related("line__lot__product", "line__count__location", "investigated_by")
        .order_by("raised_at")
    )


def counts(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> QuerySet[StockCount]:
    return (
        StockCount.objects.filter(clinic=clinic, counted_at__gte=start, counted_at__lt=end)
        .select_related("location", "counted_by")
        .prefetch_related("lines__lot__product")
        .order_by("counted_at")
    )


def loss_reports(clinic: Clinic) -> QuerySet[LossReport]:
    return (
        LossReport.objects.filter(clinic=clinic)
        .select_related("lot__product", "reported_by")
        .order_by("-discovered_at")
    )


def session_draws(session: TreatmentSession) -> list[dict[str, Any]]:
    """The session's draws with what was administered from each and what is left to account for."""
    rows = []
    for draw in (
        Draw.objects.filter(session=session).select_related("lot__product", "location").order_by("drawn_at")
    ):
        used = services.administered_from(draw)
        split = services.closing_split(draw, used)
        rows.append(
            {
                "draw": draw,
                "administered_mg": used,
                "left_mg": draw.drawn_mg - used,
                # What closing it now would post, said on its form before anyone presses the button.
                "waste_mg": split.waste_mg,
                "waste_words": services.show_mg(split.waste_mg)
                + " mg"
                + (
                    f" ({services.show_mg(split.waste_mg / concentration)} ml)"
                    if (concentration := draw.lot.product.concentration_mg_per_ml)
                    else ""
                ),
                "back_units": split.unopened_units,
            }
        )
    return rows


def open_draws_after_session(clinic: Clinic) -> list[Draw]:
    """Draws still open of the clinic's sessions that are no longer live (discharged or cancelled with a
    draw not accounted for), oldest first: controlled drug the register cannot balance yet. One query;
    the rows carry the session's times and id for a link, never its patient."""
    return list(
        Draw.objects.filter(clinic=clinic, closed_at__isnull=True)
        .exclude(session__state__in=services.LIVE_SESSION_STATES)
        .select_related("lot__product", "location", "session")
        .order_by("drawn_at", "id")
    )


def period(clinic: Clinic, start_on: dt.date, end_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC for whole days start_on..end_on in the clinic's zone."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    start = dt.datetime.combine(start_on, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(end_on + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end
