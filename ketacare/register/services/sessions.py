"""Administration tied to the session: draws, the dose receiver, and accounting for the remainder."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.core.monitoring import UnmetCriterion
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.register.models import (
    Draw,
    Entry,
    Lot,
    Product,
    RegisterSettings,
    StorageLocation,
)
from ketacare.register.services._common import (
    CENT,
    LIVE_SESSION_STATES,
    RECORDERS,
    VerifiedWitness,
    _audit_write,
    _post,
    _require_role,
    _units,
    administered_from,
    balance_mg,
    closing_split,
    fmt_mg,
    outstanding_mg,
    register_settings,
)
from ketacare.register.services.witness import _check_witness
from ketacare.treatments.models import DoseAdministration, TreatmentSession

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
    open_draws = list(
        Draw.objects.select_for_update()
        .select_related("lot__product", "location")
        # Lot numbers are printed in capitals and typed as they come: "demo-ket-01" is lot DEMO-KET-01.
        .filter(session_id=dose.session_id, closed_at__isnull=True, lot__number__iexact=dose.lot_number)
        .order_by("drawn_at", "id")
    )
    if not open_draws:
        drawn = sorted(
            set(
                Draw.objects.filter(session_id=dose.session_id, closed_at__isnull=True).values_list(
                    "lot__number", flat=True
                )
            )
        )
        raise ConflictError(
            "lot_number",
            f"lot {dose.lot_number} has not been drawn for this session in the controlled-drug register"
            + (f" (open draws: lot {', '.join(drawn)})" if drawn else "")
            + ": type the lot number of a draw, or draw it up from the safe first (Controlled drugs panel)",
        )
    # The first open draw of the lot with enough left: a nurse who draws one device at a time gives
    # device 2 from the second draw once the first is used up.
    with_left = [(each, each.drawn_mg - administered_from(each)) for each in open_draws]
    chosen = next(((each, left) for each, left in with_left if dose.dose_mg <= left), None)
    if chosen is None:
        most = max(left for _, left in with_left)
        unit = "device" if open_draws[0].lot.product.kind == "esketamine_device" else "vial"
        raise ConflictError(
            "dose_mg",
            f"dose_mg {fmt_mg(dose.dose_mg)} is more than the {fmt_mg(most)} mg left in any open draw of lot "
            f"{dose.lot_number} for this session: draw another {unit} first",
        )
    draw = chosen[0]
    if dose.lot_number != draw.lot.number:
        # The dose carries the lot's own spelling, as the register, the discharge record and exports do.
        DoseAdministration.objects.filter(pk=dose.pk).update(lot_number=draw.lot.number)
        dose.lot_number = draw.lot.number
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


def open_draw_criteria(
    sender: Any, *, session: TreatmentSession, now: dt.datetime, **kwargs: Any
) -> list[UnmetCriterion]:
    """Receiver of `treatments.signals.discharge_criteria`: each open draw of the session is unmet.

    At a clinic that keeps its register here, a draw not yet closed is controlled drug not accounted
    for (`controlled_drug_open`): the session does not read "ready for discharge" and a nurse cannot
    discharge; a prescriber may, with a reason (a patient is not held by paperwork), and the draw stays
    closable after discharge. One query, the clinic's settings included.
    """
    draws = list(
        Draw.objects.filter(session_id=session.pk, closed_at__isnull=True)
        .filter(Exists(RegisterSettings.objects.filter(clinic_id=OuterRef("clinic_id"))))
        .select_related("lot__product")
        .order_by("drawn_at", "id")
    )
    if not draws:
        return []
    zone = zoneinfo.ZoneInfo(session.clinic.time_zone)
    today = now.astimezone(zone).date()
    found = []
    for draw in draws:
        product = draw.lot.product
        drawn = draw.drawn_at.astimezone(zone)
        when = f"{drawn:%H:%M}" if drawn.date() == today else f"{drawn:%Y-%m-%d %H:%M}"
        what = (
            "Close the draw: unused devices go back to stock (no witness is needed when nothing is wasted)"
            if product.is_device
            else "Waste what is left of an opened vial with a witness and return unopened ones"
        )
        found.append(
            UnmetCriterion(
                "controlled_drug_open",
                f"Controlled drug not accounted for: lot {draw.lot.number} of {product.name}: {draw.units} "
                f"{product.unit_label}{'s' if draw.units != 1 else ''} drawn at {when}. {what} "
                "(Controlled drugs panel).",
            )
        )
    return found


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
        split = closing_split(draw, administered_from(draw))
        unopened, waste = split.unopened_units, split.waste_mg
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
                        f" ({fmt_mg((waste / product.concentration_mg_per_ml).quantize(CENT))} ml)"
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
