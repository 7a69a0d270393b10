"""Writes for the controlled-drug register: one transaction each, refusals as `ketacare.lib.errors`.

Every movement goes through `_post`, which locks the lot, reads the last balance of the lot at the
location and refuses a balance below zero; entries are only ever added. Recording is for nurses and
prescribers; configuration for the clinic administrator; an investigation or a loss report for an
administrator or a prescriber. A waste and a correction need a witness who re-authenticated with
their own password and authenticator code (`verify_witness`), never the person recording.

This module: the constants, input checks, balances and `_post`, shared by the others.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Sum

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.lib.amounts import show_mg  # noqa: F401  (the register's modules import it from here)
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.register.models import (
    Draw,
    Entry,
    Lot,
    RegisterSettings,
    StorageLocation,
)

RECORDERS = (StaffMembership.Role.NURSE, StaffMembership.Role.PRESCRIBER)
INVESTIGATORS = (StaffMembership.Role.CLINIC_ADMIN, StaffMembership.Role.PRESCRIBER)
MAX_UNITS = 10_000
MAX_TEXT = 2000
CENT = Decimal("0.01")
# The esketamine nasal device of the label: 28 mg per device (docs/clinical-sources.md, Spravato label).
ESKETAMINE_MG_PER_DEVICE = Decimal("28")
LIVE_SESSION_STATES = ("checked_in", "dosing", "observing")


@dataclass(frozen=True)
class VerifiedWitness:
    """A second staff member who proved who they are on this device just now (only `verify_witness` makes one)."""

    user: User
    verified_at: dt.datetime


# ---- helpers -----------------------------------------------------------------------------------


def role_at(user: AnyUser, clinic_id: int) -> str | None:
    """The user's active role at the clinic, or None."""
    if not isinstance(user, User):
        return None
    return (
        StaffMembership.objects.filter(user=user, clinic_id=clinic_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def _require_role(user: AnyUser, clinic_id: int, roles: tuple[str, ...], field: str, what: str) -> None:
    if role_at(user, clinic_id) not in roles:
        names = " or ".join(dict(StaffMembership.Role.choices)[r].lower() for r in roles)
        raise NotPermitted(field, f"only a {names} of this clinic can {what}")


def _text(field: str, value: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise FieldError(field, f"{field} contains a NUL character")
    if required and not value:
        raise FieldError(field, f"{field} is required")
    if len(value) > limit:
        raise FieldError(field, f"{field} is {len(value)} characters long; at most {limit} are allowed")
    return value


def _units(field: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, f"{field} {value!r} must be a whole number of units")
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_UNITS:
        raise FieldError(field, f"{field} {value} must be between {low} and {MAX_UNITS}")
    return value


def _mg(field: str, value: Any, *, limit: Decimal = Decimal("1000000")) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FieldError(field, f"{field} {value!r} must be a number of mg") from None
    if isinstance(value, bool) or not amount.is_finite() or abs(amount) > limit:
        raise FieldError(field, f"{field} {value!r} must be a number of mg between -{limit} and {limit}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_mg(amount: Decimal) -> str:
    """An amount for a file or a program (CSV, API): no thousands separators, no trailing zeros."""
    return f"{amount.normalize():f}"


def register_settings(clinic_id: int) -> RegisterSettings | None:
    return RegisterSettings.objects.filter(clinic_id=clinic_id).first()


def balance_mg(lot: Lot, location: StorageLocation) -> Decimal:
    last = (
        Entry.objects.filter(lot=lot, location=location)
        .order_by("-id")
        .values_list("balance_after_mg", flat=True)
        .first()
    )
    return last if last is not None else Decimal("0.00")


def administered_from(draw: Draw) -> Decimal:
    total = draw.entries.filter(kind=Entry.Kind.ADMINISTRATION).aggregate(total=Sum("change_mg"))["total"]
    return -(total or Decimal("0"))


@dataclass(frozen=True)
class ClosingSplit:
    """What closing a draw posts: the opened units' remainder wasted, the unopened units returned."""

    opened_units: int
    unopened_units: int
    waste_mg: Decimal


def closing_split(draw: Draw, used_mg: Decimal) -> ClosingSplit:
    """An opened unit is one the doses reached into; only its remainder is waste (``draw.lot.product``)."""
    product = draw.lot.product
    opened = math.ceil(used_mg / product.mg_per_unit) if used_mg > 0 else 0
    return ClosingSplit(
        opened_units=opened,
        unopened_units=draw.units - opened,
        waste_mg=(product.mg_per_unit * opened - used_mg).quantize(CENT),
    )


def outstanding_mg(lot: Lot, location: StorageLocation) -> Decimal:
    """mg drawn out of the location for sessions and not yet administered or wasted."""
    total = Decimal("0")
    for draw in Draw.objects.filter(lot=lot, location=location, closed_at__isnull=True):
        total += draw.drawn_mg - administered_from(draw)
    return total


def _post(
    *,
    lot: Lot,
    location: StorageLocation,
    kind: str,
    change_mg: Decimal,
    user: User,
    occurred_at: dt.datetime,
    field: str,
    **links: Any,
) -> Entry:
    """Append one entry with the balance after it; refuse a balance below zero (caller holds a transaction)."""
    Lot.objects.select_for_update().filter(pk=lot.pk).first()
    before = balance_mg(lot, location)
    after = before + change_mg
    if after < 0:
        raise ConflictError(
            field,
            f"this would take {fmt_mg(-change_mg)} mg of lot {lot.number} from {location.name}, which holds "
            f"{fmt_mg(before)} mg: the balance can never go below 0 mg",
        )
    return Entry.objects.create(
        clinic_id=lot.clinic_id,
        lot=lot,
        location=location,
        kind=kind,
        change_mg=change_mg,
        balance_after_mg=after,
        occurred_at=occurred_at,
        recorded_by=user,
        **links,
    )


def _audit_write(user: User, clinic: Clinic | None, object_type: str, object_id: Any) -> None:
    record_access_event(
        user=user,
        action="write",
        outcome="granted",
        clinic=clinic,
        object_type=object_type,
        object_id=str(object_id),
    )
