"""Demo data: each clinic keeps its controlled-drug register, with about four months of history.

Deliveries, weekly counts (one short count, investigated and corrected), an expired lot destroyed
under witness, and every demo dose drawn from its lot with the remainder wasted under witness (the
session in progress keeps its draw open). Events run in time order through the register services so
each balance follows from the one before. Idempotent: a clinic whose register exists is skipped.

The witnesses here are given as already verified (`VerifiedWitness`): demo seeding cannot type a
nurse's authenticator code; every page and API still asks for it.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ketacare.register import services
from ketacare.register.models import Discrepancy, Draw, Lot, RegisterSettings
from ketacare.treatments.models import DoseAdministration, TreatmentSession

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

HISTORY_DAYS = 120
# What the safe still holds once the demo's sessions have drawn their stock: the next sessions' supply
# (illustrative, not a stocking rule).
VIALS_TO_SPARE = 6
DEVICES_TO_SPARE = 12


def seed_app(ctx: DemoContext) -> None:
    for key, clinic in ctx.clinics.items():
        if RegisterSettings.objects.filter(clinic=clinic).exists():
            continue
        _seed_clinic(ctx, key, clinic)


def _seed_clinic(ctx: DemoContext, key: str, clinic: Any) -> None:
    suffix = "" if key == "a" else "-b"
    admin, nurse, prescriber = (ctx.staff[f"{role}{suffix}"] for role in ("admin", "nurse", "prescriber"))
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    services.configure_register(clinic=clinic, user=admin, jurisdiction="us")
    safe = services.add_location(clinic=clinic, user=admin, name="Main safe")
    vial = services.add_product(
        clinic=clinic, user=admin, kind="ketamine_vial", concentration_mg_per_ml="50", volume_ml="10"
    )
    device = services.add_product(clinic=clinic, user=admin, kind="esketamine_device", units_per_pack=2)
    start = ctx.now - dt.timedelta(days=HISTORY_DAYS)

    def at(days: float, hour: int = 9) -> dt.datetime:
        local = (start + dt.timedelta(days=days)).astimezone(zone)
        return local.replace(hour=hour, minute=0, second=0, microsecond=0)

    def witness(user: Any, when: dt.datetime) -> services.VerifiedWitness:
        return services.VerifiedWitness(user=user, verified_at=when)

    events: list[tuple[dt.datetime, int, Callable[[], Any]]] = []

    def add(when: dt.datetime, call: Callable[[], Any]) -> None:
        events.append((when, len(events), call))

    def receive(
        when: dt.datetime, product: Any, lot: str, expires: dt.date, units: int, invoice: str
    ) -> None:
        add(
            when,
            lambda: services.receive_stock(
                clinic=clinic,
                user=nurse,
                product=product,
                lot_number=lot,
                expires_on=expires,
                location=safe,
                units=units,
                supplier="Demo Pharmacy Wholesale",
                invoice_number=invoice,
                received_on=when.astimezone(zone).date(),
                occurred_at=when,
            ),
        )

    sessions = list(
        TreatmentSession.objects.filter(clinic=clinic, doses__isnull=False)
        .distinct()
        .order_by("checked_in_at")
        .prefetch_related("doses")
    )
    drawn = _units_drawn(sessions, {"DEMO-KET-01": vial.mg_per_unit, "DEMO-ESK-01": device.mg_per_unit})
    old_expiry = at(60).date()
    receive(at(0), vial, "DEMO-KET-00", old_expiry, 6, f"INV-{key.upper()}-1001")
    receive(at(0, 10), device, "DEMO-ESK-01", at(400).date(), 24, f"INV-{key.upper()}-1002")
    # The later deliveries bring the usual quantity, more when the demo's sessions need it.
    vials = _delivery(usual=20, needed=drawn["DEMO-KET-01"] + 1 + VIALS_TO_SPARE)  # 1: the broken vial
    receive(at(28), vial, "DEMO-KET-01", at(500).date(), vials, f"INV-{key.upper()}-1043")
    devices = _delivery(usual=12, needed=drawn["DEMO-ESK-01"] - 24 + DEVICES_TO_SPARE)
    receive(at(70), device, "DEMO-ESK-01", at(400).date(), devices, f"INV-{key.upper()}-1088")

    def destroy_expired() -> None:
        lot = Lot.objects.get(product=vial, number="DEMO-KET-00")
        left = int(services.balance_mg(lot, safe) / vial.mg_per_unit)
        if left:
            when = at(61, 17)
            services.destroy_stock(
                clinic=clinic,
                user=nurse,
                witness=witness(prescriber, when),
                lot=lot,
                location=safe,
                units=left,
                reason=f"expired on {old_expiry}",
                now=when,
            )

    add(at(61, 17), destroy_expired)
    short_week = 6
    for week in range(1, HISTORY_DAYS // 7 + 1):
        when = at(week * 7, 18)
        if when >= ctx.now - dt.timedelta(hours=12):
            break
        add(when, _count(clinic, nurse, safe, when, short=(week == short_week)))
    short_at = at(short_week * 7, 18)
    add(short_at + dt.timedelta(hours=15), _investigate(clinic, admin, nurse, prescriber, safe, short_at))

    for session in sessions:
        add(session.checked_in_at or session.scheduled_at, _session_events(session, nurse, prescriber, safe))

    for _, _, call in sorted(events, key=lambda e: (e[0], e[1])):
        call()


def _units_drawn(sessions: list[TreatmentSession], mg_per_unit: dict[str, Decimal]) -> dict[str, int]:
    """How many units of each lot the sessions draw, whole units per session as `_session_events` draws."""
    drawn = dict.fromkeys(mg_per_unit, 0)
    for session in sessions:
        doses = list(session.doses.all())
        lot_number = doses[0].lot_number
        if lot_number in drawn:
            total = sum((d.dose_mg for d in doses), Decimal("0"))
            drawn[lot_number] += max(1, math.ceil(total / mg_per_unit[lot_number]))
    return drawn


def _delivery(*, usual: int, needed: int) -> int:
    """The usual quantity, or what is needed rounded up to whole tens when that is more."""
    return max(usual, math.ceil(needed / 10) * 10)


def _count(clinic: Any, nurse: Any, safe: Any, when: dt.datetime, *, short: bool) -> Callable[[], None]:
    def run() -> None:
        lots = services.count_lots(clinic, safe)
        counted: dict[str, int] = {}
        for lot in lots:
            expected = services.balance_mg(lot, safe) - services.outstanding_mg(lot, safe)
            counted[str(lot.public_id)] = int(expected / lot.product.mg_per_unit)
        if short:
            # One vial short of the ketamine lot in use: the discrepancy the demo investigates.
            for lot in lots:
                if lot.product.kind == "ketamine_vial" and counted[str(lot.public_id)] > 0:
                    counted[str(lot.public_id)] -= 1
                    break
        services.submit_count(
            clinic=clinic, user=nurse, location=safe, kind="weekly", counted_units=counted, now=when
        )

    return run


def _investigate(
    clinic: Any, admin: Any, nurse: Any, prescriber: Any, safe: Any, short_at: dt.datetime
) -> Callable[[], None]:
    def run() -> None:
        found = Discrepancy.objects.filter(clinic=clinic, state="open").select_related("line__lot").first()
        if found is None:
            return
        services.investigate_discrepancy(
            discrepancy=found,
            user=admin,
            note="A vial broke while stock was put away; the destruction was not written up. Staff reminded; "
            "corrected with a witnessed entry.",
        )
        when = short_at + dt.timedelta(hours=16)
        services.record_correction(
            clinic=clinic,
            user=nurse,
            witness=services.VerifiedWitness(user=prescriber, verified_at=when),
            lot=found.line.lot,
            location=safe,
            change_mg=found.difference_mg,
            reason="vial broken while stocking (count of " + short_at.date().isoformat() + ")",
            now=when,
        )

    return run


def _session_events(session: TreatmentSession, nurse: Any, prescriber: Any, safe: Any) -> Callable[[], None]:
    def run() -> None:
        doses = list(DoseAdministration.objects.filter(session=session).order_by("started_at", "id"))
        if not doses:
            return
        lot = (
            Lot.objects.select_related("product")
            .filter(clinic=session.clinic, number=doses[0].lot_number)
            .first()
        )
        if lot is None:
            return
        total = sum((d.dose_mg for d in doses), Decimal("0"))
        units = max(1, math.ceil(total / lot.product.mg_per_unit))
        drawn_at = doses[0].started_at - dt.timedelta(minutes=5)
        Draw.objects.create(
            clinic=session.clinic,
            session=session,
            lot=lot,
            location=safe,
            units=units,
            drawn_mg=lot.product.mg_per_unit * units,
            drawn_at=drawn_at,
            drawn_by=nurse,
        )
        for dose in doses:
            services.on_dose_recorded(None, dose=dose, user=dose.created_by)
        if session.state == TreatmentSession.State.DISCHARGED:
            draw = Draw.objects.get(session=session, closed_at__isnull=True)
            when = (session.dose_ended_at or doses[-1].started_at) + dt.timedelta(minutes=10)
            services.close_draw(
                draw=draw,
                user=nurse,
                witness=services.VerifiedWitness(user=prescriber, verified_at=when),
                now=when,
            )

    return run
