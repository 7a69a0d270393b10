"""register API router: read-only stock and entries of the active clinic, for its administrator."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.http import Http404
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_membership
from ketacare.lib.pagination import LinkedPagination
from ketacare.register import selectors, services
from ketacare.register.forms import FIRST_YEAR, LAST_YEAR
from ketacare.register.schemas import EntryOut, StockOut

router = Router(tags=["register"])
# A plain YYYY-MM-DD date (fromisoformat alone would also take 20261206).
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(name: str, value: str) -> dt.date | None:
    if not value:
        return None
    # Checked here, not in the parameter's type: the paginated operation resolves its annotations in
    # ninja's namespace, where a module-level alias is not defined.
    if not ISO_DATE.fullmatch(value):
        raise HttpError(422, f"{name} {value[:20]!r} is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise HttpError(422, f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise HttpError(422, f"{name} {value} must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _admin_clinic(request: AuthenticatedRequest) -> Clinic:
    membership = active_membership(request)
    if membership is None or membership.role != "clinic_admin":
        raise Http404("Not found")
    return membership.clinic


@router.get("/register/stock", response=list[StockOut], url_name="register_stock")
@paginate(LinkedPagination)
def register_stock(request: AuthenticatedRequest) -> list[StockOut]:
    """Every lot at every location with its balance (mg) and what is drawn out for sessions, a page at a time."""
    clinic = _admin_clinic(request)
    record_access_event(
        action="read", outcome="granted", clinic=clinic, object_type="register", object_id="stock"
    )
    return [
        StockOut(
            product=r.lot.product.name,
            lot=r.lot.number,
            expires_on=r.lot.expires_on,
            location=r.location.name,
            balance_mg=services.fmt_mg(r.balance_mg),
            drawn_out_mg=services.fmt_mg(r.drawn_out_mg),
        )
        for r in selectors.stock(clinic)
    ]


@router.get("/register/entries", response=list[EntryOut], url_name="register_entries")
@paginate(LinkedPagination)
def register_entries(request: AuthenticatedRequest, start: str = "", end: str = "") -> list[EntryOut]:
    """The register entries of whole days start..end (YYYY-MM-DD, clinic time, at most 366 days; default
    the last 30), oldest first, a page at a time."""
    clinic = _admin_clinic(request)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(clinic.time_zone)).date()
    last = _date("end", end) or today
    first = _date("start", start) or last - dt.timedelta(days=30)
    start_on, end_on = first, last
    if end_on < start_on or (end_on - start_on).days > 366:
        raise HttpError(422, "end must be on or after start, and the period at most 366 days")
    low, high = selectors.period(clinic, start_on, end_on)
    rows = selectors.ledger(user=request.user, clinic=clinic, start=low, end=high, limit=None)
    record_access_event(
        action="read", outcome="granted", clinic=clinic, object_type="register", object_id="entries"
    )
    return [
        EntryOut(
            id=r.entry.public_id,
            occurred_at=r.entry.occurred_at,
            kind=r.entry.kind,
            product=r.entry.lot.product.name,
            lot=r.entry.lot.number,
            location=r.entry.location.name,
            change_mg=services.fmt_mg(r.entry.change_mg),
            balance_after_mg=services.fmt_mg(r.entry.balance_after_mg),
            recorded_by=r.entry.recorded_by.full_name or r.entry.recorded_by.email,
            witness=(r.entry.witness.full_name or r.entry.witness.email) if r.entry.witness else "",
            session=r.entry.session.public_id if r.entry.session else None,
            reason=r.entry.reason,
        )
        for r in rows
    ]
