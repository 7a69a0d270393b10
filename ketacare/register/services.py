"""Writes for the controlled-drug register: one transaction each, refusals as `ketacare.lib.errors`.

Every movement goes through `_post`, which locks the lot, reads the last balance of the lot at the
location and refuses a balance below zero; entries are only ever added. Recording is for nurses and
prescribers; configuration for the clinic administrator; an investigation or a loss report for an
administrator or a prescriber. A waste and a correction need a witness who re-authenticated with
their own password and authenticator code (`verify_witness`), never the person recording.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.register import rules
from ketacare.register.models import (
    CountLine,
    Discrepancy,
    Draw,
    Entry,
    LossReport,
    Lot,
    Product,
    Receipt,
    RegisterSettings,
    StockCount,
    StorageLocation,
)
from ketacare.treatments.models import DoseAdministration, TreatmentSession

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


def role_at(user: Any, clinic_id: int) -> str | None:
    """The user's active role at the clinic, or None."""
    if not isinstance(user, User):
        return None
    return (
        StaffMembership.objects.filter(user=user, clinic_id=clinic_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def _require_role(user: Any, clinic_id: int, roles: tuple[str, ...], field: str, what: str) -> None:
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


# ---- administration tied to the session --------------------------------------------------------


def draw_stock(
    *,
    session: TreatmentSession,
    user: User,
    lot: Lot,
    location: StorageLocation,
    units: int,
    now: dt.datetime | None = None,
) -> Draw:
    """Take vials or devices of one lot from a location for a session (before the dose is recorded)."""
    _require_role(user, session.clinic_id, RECORDERS, "units", "record in the register")
    units = _units("units", units)
    now = now or timezone.now()
    if lot.clinic_id != session.clinic_id or location.clinic_id != session.clinic_id:
        raise FieldError("lot", "the lot and the location must belong to the session's clinic")
    if session.state not in LIVE_SESSION_STATES:
        raise ConflictError(
            "units", f"the session is {session.get_state_display().lower()}: draw only for a live session"
        )
    expected_kind = (
        Product.Kind.ESKETAMINE_DEVICE if session.route == "esketamine_in" else Product.Kind.KETAMINE_VIAL
    )
    if lot.product.kind != expected_kind:
        raise FieldError(
            "lot",
            f"lot {lot.number} is {lot.product.name}; this session needs a {Product.Kind(expected_kind).label.lower()}",
        )
    if lot.expires_on < now.date():
        raise ConflictError("lot", f"lot {lot.number} expired on {lot.expires_on}: do not use it")
    drawn = lot.product.mg_per_unit * units
    with transaction.atomic():
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        available = balance_mg(lot, location) - outstanding_mg(lot, location)
        if drawn > available:
            raise ConflictError(
                "units",
                f"{units} {lot.product.unit_label}(s) of lot {lot.number} is {fmt_mg(drawn)} mg; {location.name} "
                f"holds {fmt_mg(available)} mg of it",
            )
        draw = Draw.objects.create(
            clinic_id=session.clinic_id,
            session=session,
            lot=lot,
            location=location,
            units=units,
            drawn_mg=drawn,
            drawn_at=now,
            drawn_by=user,
        )
        _audit_write(user, session.clinic, "register_draw", draw.public_id)
    return draw


def on_dose_recorded(sender: Any, *, dose: DoseAdministration, user: User, **kwargs: Any) -> None:
    """Receiver of `treatments.signals.dose_recorded`: tie the dose to its drawn lot, or refuse it.

    At a clinic that keeps its register here, a dose needs an open draw of its lot in the session with
    enough left in it; the administration entry is posted once the amount is final (a nasal device at
    once, an infusion when it is stopped), so one dose has exactly one entry.
    """
    if register_settings(dose.clinic_id) is None:
        return
    if Entry.objects.filter(dose=dose).exists():
        return
    draw = (
        Draw.objects.select_for_update()
        .select_related("lot__product", "location")
        .filter(session_id=dose.session_id, closed_at__isnull=True, lot__number=dose.lot_number)
        .order_by("drawn_at", "id")
        .first()
    )
    if draw is None:
        raise ConflictError(
            "lot_number",
            f"lot {dose.lot_number} has not been drawn for this session in the controlled-drug register: "
            "draw it up from the safe first (Controlled drugs panel)",
        )
    left = draw.drawn_mg - administered_from(draw)
    if dose.dose_mg > left:
        raise ConflictError(
            "dose_mg",
            f"dose_mg {fmt_mg(dose.dose_mg)} is more than the {fmt_mg(left)} mg left of lot {draw.lot.number} "
            "drawn for this session: draw another vial first",
        )
    if dose.ended_at is None:
        return
    _post(
        lot=draw.lot,
        location=draw.location,
        kind=Entry.Kind.ADMINISTRATION,
        change_mg=-Decimal(dose.dose_mg).quantize(CENT),
        user=user,
        occurred_at=dose.started_at,
        field="dose_mg",
        session_id=dose.session_id,
        dose=dose,
        draw=draw,
    )


def verify_witness(
    *, clinic: Clinic, recorder: User, email: str, password: str, otp_token: str
) -> VerifiedWitness:
    """Check a witness's own password and authenticator code, typed on the recorder's device.

    The witness must be active staff of the clinic and another person than the recorder. Each outcome
    is audited; a wrong password or code says which input to retype without telling which one failed.
    """
    email = (email or "").strip()
    witness = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if witness is not None and witness.pk == recorder.pk:
        raise FieldError("witness_email", "the witness must be another person than the one recording")
    refusal = FieldError(
        "witness_password", "the witness's e-mail, password or authenticator code is not right"
    )
    if witness is None or role_at(witness, clinic.pk) is None:
        record_access_event(
            user=recorder,
            action="witness",
            outcome="denied",
            clinic=clinic,
            object_type="witness",
            object_id=email[:64],
        )
        raise refusal
    password_ok = witness.check_password(password or "")
    token = (otp_token or "").strip()
    token_ok = False
    if password_ok and token.isdigit():
        for device in TOTPDevice.objects.filter(user=witness, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                token_ok = True
                break
    if not (password_ok and token_ok):
        record_access_event(
            user=recorder,
            action="witness",
            outcome="denied",
            clinic=clinic,
            object_type="witness",
            object_id=str(witness.public_id),
        )
        raise refusal
    record_access_event(
        user=recorder,
        action="witness",
        outcome="granted",
        clinic=clinic,
        object_type="witness",
        object_id=str(witness.public_id),
    )
    return VerifiedWitness(user=witness, verified_at=timezone.now())


def _check_witness(witness: VerifiedWitness | None, user: User, now: dt.datetime) -> User:
    if witness is None:
        raise FieldError("witness_email", "a second member of staff must witness this")
    if witness.user.pk == user.pk:
        raise FieldError("witness_email", "the witness must be another person than the one recording")
    if now - witness.verified_at > dt.timedelta(minutes=5):
        raise FieldError("witness_password", "the witness confirmed more than 5 minutes ago: confirm again")
    return witness.user


def close_draw(
    *, draw: Draw, user: User, witness: VerifiedWitness | None, now: dt.datetime | None = None
) -> list[Entry]:
    """Account for what is left of a draw: an opened vial's remainder wasted (witnessed), unopened units back.

    Esketamine devices are whole: a used device is administered, an unused one goes back unopened.
    """
    _require_role(user, draw.clinic_id, RECORDERS, "witness_email", "record in the register")
    now = now or timezone.now()
    entries: list[Entry] = []
    with transaction.atomic():
        draw = (
            Draw.objects.select_for_update()
            .select_related("lot__product", "location", "session")
            .get(pk=draw.pk)
        )
        if draw.closed_at is not None:
            raise ConflictError("draw", "this draw is already closed")
        running = DoseAdministration.objects.filter(
            session_id=draw.session_id,
            lot_number=draw.lot.number,
            ended_at__isnull=True,
            entered_in_error=False,
        )
        if running.exists():
            raise ConflictError("draw", "an infusion from this lot is still running: stop it first")
        product = draw.lot.product
        used = administered_from(draw)
        opened = math.ceil(used / product.mg_per_unit) if used > 0 else 0
        unopened = draw.units - opened
        waste = (product.mg_per_unit * opened - used).quantize(CENT)
        if waste > 0:
            witness_user = _check_witness(witness, user, now)
            entries.append(
                _post(
                    lot=draw.lot,
                    location=draw.location,
                    kind=Entry.Kind.WASTE,
                    change_mg=-waste,
                    user=user,
                    occurred_at=now,
                    field="draw",
                    witness=witness_user,
                    draw=draw,
                    session=draw.session,
                    reason=f"remainder of an opened {product.unit_label}: {fmt_mg(waste)} mg"
                    + (
                        f" ({fmt_mg(waste / product.concentration_mg_per_ml)} ml)"
                        if product.concentration_mg_per_ml
                        else ""
                    ),
                )
            )
        if unopened > 0:
            entries.append(
                _post(
                    lot=draw.lot,
                    location=draw.location,
                    kind=Entry.Kind.RETURN,
                    change_mg=Decimal("0.00"),
                    user=user,
                    occurred_at=now,
                    field="draw",
                    draw=draw,
                    session=draw.session,
                    reason=f"{unopened} unopened {product.unit_label}(s) returned to {draw.location.name}",
                )
            )
        draw.closed_at = now
        draw.save(update_fields=["closed_at"])
        _audit_write(user, draw.session.clinic, "register_draw", draw.public_id)
    return entries


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

    Any difference opens a discrepancy that an administrator or a prescriber must investigate.
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
                Discrepancy.objects.create(
                    clinic=clinic, line=line, difference_mg=counted - expected, raised_at=now
                )
        _audit_write(user, clinic, "register_count", count.public_id)
    return count


def investigate_discrepancy(*, discrepancy: Discrepancy, user: User, note: str) -> Discrepancy:
    """Close a discrepancy with the investigation's finding (required); a correction, if due, is separate."""
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
        _audit_write(user, None, "register_discrepancy", discrepancy.public_id)
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
