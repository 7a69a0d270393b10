"""Configuration (administrator), receipts, witnessed corrections and destruction of stock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.register import rules
from ketacare.register.models import (
    Entry,
    Lot,
    Product,
    Receipt,
    RegisterSettings,
    StorageLocation,
)
from ketacare.register.services._common import (
    CENT,
    ESKETAMINE_MG_PER_DEVICE,
    RECORDERS,
    VerifiedWitness,
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
from ketacare.register.services.witness import _check_witness

# ---- configuration (clinic administrator) ------------------------------------------------------


def configure_register(*, clinic: Clinic, user: User, jurisdiction: str) -> RegisterSettings:
    """Start (or change the rules of) the clinic's register: doses then need a drawn lot."""
    _require_role(
        user, clinic.pk, (StaffMembership.Role.CLINIC_ADMIN,), "jurisdiction", "configure the register"
    )
    if jurisdiction not in rules.jurisdictions():
        raise FieldError(
            "jurisdiction",
            f"jurisdiction {jurisdiction!r} is not one of {', '.join(sorted(rules.jurisdictions()))}",
        )
    with transaction.atomic():
        found, _ = RegisterSettings.objects.update_or_create(
            clinic=clinic, defaults={"jurisdiction": jurisdiction}
        )
        _audit_write(user, clinic, "register_settings", clinic.public_id)
    return found


def add_location(*, clinic: Clinic, user: User, name: str) -> StorageLocation:
    """A new safe or cabinet (names unique in the clinic)."""
    _require_role(user, clinic.pk, (StaffMembership.Role.CLINIC_ADMIN,), "name", "configure the register")
    name = _text("name", name, required=True, limit=80)
    if StorageLocation.objects.filter(clinic=clinic, name__iexact=name).exists():
        raise ConflictError("name", f"there is already a location called {name!r}")
    with transaction.atomic():
        location = StorageLocation.objects.create(clinic=clinic, name=name)
        _audit_write(user, clinic, "register_location", location.public_id)
    return location


def add_product(
    *,
    clinic: Clinic,
    user: User,
    kind: str,
    name: str = "",
    concentration_mg_per_ml: Any = None,
    volume_ml: Any = None,
    units_per_pack: int = 1,
) -> Product:
    """A ketamine vial (mg/ml x ml) or an esketamine 28 mg device product (packs of 2 or 3 devices)."""
    _require_role(user, clinic.pk, (StaffMembership.Role.CLINIC_ADMIN,), "kind", "configure the register")
    if kind not in Product.Kind.values:
        raise FieldError("kind", f"kind {kind!r} is not one of {', '.join(Product.Kind.values)}")
    units_per_pack = _units("units_per_pack", units_per_pack)
    if kind == Product.Kind.ESKETAMINE_DEVICE:
        if units_per_pack not in (1, 2, 3):
            raise FieldError(
                "units_per_pack",
                f"units_per_pack {units_per_pack}: esketamine comes in packs of 2 or 3 devices",
            )
        mg_per_unit = ESKETAMINE_MG_PER_DEVICE
        concentration = volume = None
        default_name = f"Esketamine 28 mg nasal device (pack of {units_per_pack})"
    else:
        concentration = _mg("concentration_mg_per_ml", concentration_mg_per_ml, limit=Decimal("500"))
        volume = _mg("volume_ml", volume_ml, limit=Decimal("100"))
        if concentration <= 0:
            raise FieldError(
                "concentration_mg_per_ml", "concentration_mg_per_ml must be above 0 (e.g. 10, 50 or 100)"
            )
        if volume <= 0:
            raise FieldError("volume_ml", "volume_ml must be above 0 (e.g. 10 or 20)")
        mg_per_unit = (concentration * volume).quantize(CENT)
        default_name = (
            f"Ketamine {fmt_mg(concentration)} mg/ml, {fmt_mg(volume)} ml vial ({fmt_mg(mg_per_unit)} mg)"
        )
    name = _text("name", name, limit=120) or default_name
    with transaction.atomic():
        product = Product.objects.create(
            clinic=clinic,
            kind=kind,
            name=name,
            concentration_mg_per_ml=concentration,
            volume_ml=volume,
            mg_per_unit=mg_per_unit,
            units_per_pack=units_per_pack,
        )
        _audit_write(user, clinic, "register_product", product.public_id)
    return product


# ---- receipts ----------------------------------------------------------------------------------


def receive_stock(
    *,
    clinic: Clinic,
    user: User,
    product: Product,
    lot_number: str,
    expires_on: dt.date,
    location: StorageLocation,
    units: int,
    supplier: str,
    invoice_number: str,
    received_on: dt.date,
    occurred_at: dt.datetime | None = None,
) -> Receipt:
    """Receive a delivery into a location: the lot is created on first sight, its expiry must match."""
    _require_role(user, clinic.pk, RECORDERS, "units", "record in the register")
    if product.clinic_id != clinic.pk or location.clinic_id != clinic.pk:
        raise FieldError("product", "the product and the location must belong to this clinic")
    if register_settings(clinic.pk) is None:
        raise ConflictError("product", "the clinic administrator has not started the register yet")
    units = _units("units", units)
    lot_number = _text("lot_number", lot_number, required=True, limit=40)
    supplier = _text("supplier", supplier, required=True, limit=120)
    invoice_number = _text("invoice_number", invoice_number, required=True, limit=60)
    now = timezone.now()
    when = occurred_at or now
    if received_on > when.date() + dt.timedelta(days=1):
        raise FieldError("received_on", f"received_on {received_on} is in the future")
    with transaction.atomic():
        lot = Lot.objects.filter(product=product, number=lot_number).first()
        if lot is None:
            lot = Lot.objects.create(clinic=clinic, product=product, number=lot_number, expires_on=expires_on)
        elif lot.expires_on != expires_on:
            raise ConflictError(
                "expires_on",
                f"lot {lot_number} is on record with expiry {lot.expires_on}; check the box label",
            )
        receipt = Receipt.objects.create(
            clinic=clinic,
            lot=lot,
            location=location,
            supplier=supplier,
            invoice_number=invoice_number,
            units=units,
            received_on=received_on,
            received_by=user,
        )
        _post(
            lot=lot,
            location=location,
            kind=Entry.Kind.RECEIPT,
            change_mg=product.mg_per_unit * units,
            user=user,
            occurred_at=when,
            field="units",
            receipt=receipt,
            reason=f"{units} {product.unit_label}(s) from {supplier}, invoice/order form {invoice_number}",
        )
        _audit_write(user, clinic, "register_receipt", receipt.public_id)
    return receipt


# ---- corrections, counts, discrepancies, losses ------------------------------------------------


def record_correction(
    *,
    clinic: Clinic,
    user: User,
    witness: VerifiedWitness | None,
    lot: Lot,
    location: StorageLocation,
    change_mg: Any,
    reason: str,
    corrects: Entry | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    """Put the balance right with a new entry: signed mg, a reason and a witness (nothing is edited)."""
    _require_role(user, clinic.pk, RECORDERS, "change_mg", "record in the register")
    amount = _mg("change_mg", change_mg)
    if amount == 0:
        raise FieldError("change_mg", "change_mg must not be 0: a correction changes the balance")
    reason = _text("reason", reason, required=True)
    if lot.clinic_id != clinic.pk or location.clinic_id != clinic.pk:
        raise FieldError("lot", "the lot and the location must belong to this clinic")
    if corrects is not None and (corrects.lot_id != lot.pk or corrects.location_id != location.pk):
        raise FieldError("corrects", "the corrected entry must be of the same lot and location")
    now = now or timezone.now()
    witness_user = _check_witness(witness, user, now)
    with transaction.atomic():
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        before, drawn_out = balance_mg(lot, location), outstanding_mg(lot, location)
        if amount < 0 and 0 <= before + amount < drawn_out:
            # What is drawn for live sessions is still to be given or wasted from this balance: a
            # correction below it would refuse those doses later. Close the draws first. (Below
            # 0 mg, `_post` refuses it with the balance.)
            raise ConflictError(
                "change_mg",
                f"{fmt_mg(drawn_out)} mg of lot {lot.number} is drawn out of {location.name} for sessions; "
                f"the balance ({fmt_mg(before)} mg) cannot be corrected below it: close those draws first",
            )
        entry = _post(
            lot=lot,
            location=location,
            kind=Entry.Kind.CORRECTION,
            change_mg=amount,
            user=user,
            occurred_at=now,
            field="change_mg",
            witness=witness_user,
            reason=reason,
            corrects=corrects,
        )
        _audit_write(user, clinic, "register_entry", entry.public_id)
    return entry


def destroy_stock(
    *,
    clinic: Clinic,
    user: User,
    witness: VerifiedWitness | None,
    lot: Lot,
    location: StorageLocation,
    units: int,
    reason: str,
    now: dt.datetime | None = None,
) -> Entry:
    """Waste whole units that will not be used (expired, damaged), witnessed, with the reason."""
    _require_role(user, clinic.pk, RECORDERS, "units", "record in the register")
    units = _units("units", units)
    reason = _text("reason", reason, required=True)
    if lot.clinic_id != clinic.pk or location.clinic_id != clinic.pk:
        raise FieldError("lot", "the lot and the location must belong to this clinic")
    now = now or timezone.now()
    witness_user = _check_witness(witness, user, now)
    with transaction.atomic():
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        available = balance_mg(lot, location) - outstanding_mg(lot, location)
        amount = lot.product.mg_per_unit * units
        if amount > available:
            raise ConflictError(
                "units",
                f"{units} {lot.product.unit_label}(s) is {fmt_mg(amount)} mg; {location.name} holds {fmt_mg(available)} mg of lot {lot.number}",
            )
        entry = _post(
            lot=lot,
            location=location,
            kind=Entry.Kind.WASTE,
            change_mg=-amount,
            user=user,
            occurred_at=now,
            field="units",
            witness=witness_user,
            reason=f"{units} {lot.product.unit_label}(s) destroyed: {reason}",
        )
        _audit_write(user, clinic, "register_entry", entry.public_id)
    return entry
