"""Demo data: each clinic keeps its controlled-drug register, with about four months of history.

The register begins `HISTORY_DAYS` before now with its first deliveries (`register_start`): a demo
dose before then predates it and carries `HISTORY_LOT`, as a clinic's doses from before it kept its
register here would; every dose from then on, the past courses' (ketacare/demo/past_sessions.py) as
well as the current ones, names the lot in use when its session began (`lot_in_use`) and is drawn from
it. Deliveries, weekly counts (one short count, investigated and corrected), an expired lot destroyed
under witness, and each session's draw with the remainder wasted under witness (the session in
progress keeps its draw open). Each draw, dose, waste and count runs at its own time, all in time order
through the register services, so each balance follows from the row before. This seeder runs after
every seeder that stores doses (`SEEDERS` in ketacare/demo/seed.py). Idempotent: a clinic whose
register exists is skipped.

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

from django.db.models import Min, Prefetch

from ketacare.register import services
from ketacare.register.models import Discrepancy, Draw, Entry, Lot, RegisterSettings
from ketacare.treatments.models import DoseAdministration, TreatmentSession

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

HISTORY_DAYS = 120
# The lot of a demo dose from before the clinic's register began: history the register does not hold.
HISTORY_LOT = "DEMO-HISTORY"
# The register's lots: the vials of the first delivery (expiring on day 60, what is left destroyed),
# the vials delivered on day `NEW_VIALS_DAY`, and the one lot of nasal devices, delivered on day 0 and
# again on day `MORE_DEVICES_DAY`.
OLD_VIALS, NEW_VIALS, DEVICES = "DEMO-KET-00", "DEMO-KET-01", "DEMO-ESK-01"
NEW_VIALS_DAY = 28
MORE_DEVICES_DAY = 70
# The first deliveries come in before the clinic's first session of the day (demo sessions begin at
# 09:00 or later); the later ones at 09:00.
FIRST_DELIVERY_HOUR = 8
DELIVERY_HOUR = 9
# A session's draw is made this long before its first dose.
DRAW_BEFORE_DOSE = dt.timedelta(minutes=5)
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
    start = register_start(clinic, ctx.now)

    def at(days: int, hour: int = DELIVERY_HOUR) -> dt.datetime:
        return _on_day(start, days, hour)

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

    sessions = _register_sessions(clinic)
    mg_per_unit = {OLD_VIALS: vial.mg_per_unit, NEW_VIALS: vial.mg_per_unit, DEVICES: device.mg_per_unit}
    drawn = _units_drawn(sessions, mg_per_unit)
    devices_early = _units_drawn(sessions, mg_per_unit, before=at(MORE_DEVICES_DAY))[DEVICES]
    old_expiry = at(60).date()
    # Each delivery brings the usual quantity, more when the demo's sessions until the next one need it.
    # The first vials are used until the next lot arrives; at least two are left, one for the broken
    # vial of the short count and one to expire and be destroyed.
    old_vials = _delivery(usual=6, needed=drawn[OLD_VIALS] + 2)
    receive(at(0, FIRST_DELIVERY_HOUR), vial, OLD_VIALS, old_expiry, old_vials, f"INV-{key.upper()}-1001")
    first_devices = _delivery(usual=24, needed=devices_early + DEVICES_TO_SPARE)
    receive(
        at(0, FIRST_DELIVERY_HOUR), device, DEVICES, at(400).date(), first_devices, f"INV-{key.upper()}-1002"
    )
    vials = _delivery(usual=20, needed=drawn[NEW_VIALS] + 1 + VIALS_TO_SPARE)  # 1: a broken vial
    receive(at(NEW_VIALS_DAY), vial, NEW_VIALS, at(500).date(), vials, f"INV-{key.upper()}-1043")
    devices = _delivery(usual=12, needed=drawn[DEVICES] - first_devices + DEVICES_TO_SPARE)
    receive(at(MORE_DEVICES_DAY), device, DEVICES, at(400).date(), devices, f"INV-{key.upper()}-1088")

    def destroy_expired() -> None:
        lot = Lot.objects.get(product=vial, number=OLD_VIALS)
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

    lots: dict[str, Lot] = {}
    for session in sessions:
        for when, call in _session_events(session, nurse, prescriber, safe, lots):
            add(when, call)

    for _, _, call in sorted(events, key=lambda e: (e[0], e[1])):
        call()


def register_start(clinic: Any, now: dt.datetime) -> dt.datetime:
    """When the demo register of ``clinic`` begins, in clinic time: its first deliveries, at
    `FIRST_DELIVERY_HOUR` on the day `HISTORY_DAYS` before ``now`` (a register already seeded begins at
    its first entry)."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    first = Entry.objects.filter(clinic=clinic).aggregate(first=Min("occurred_at"))["first"]
    if first is not None:
        return first.astimezone(zone)
    day = (now - dt.timedelta(days=HISTORY_DAYS)).astimezone(zone).date()
    return dt.datetime.combine(day, dt.time(FIRST_DELIVERY_HOUR), tzinfo=zone)


def lot_in_use(route: str, checked_in_at: dt.datetime, start: dt.datetime) -> str:
    """The lot a demo session checked in at ``checked_in_at`` doses from, its register beginning at
    ``start`` (`register_start`): `HISTORY_LOT` before it, else the lot of the route in stock then."""
    if checked_in_at < start:
        return HISTORY_LOT
    if route == "esketamine_in":
        return DEVICES
    return NEW_VIALS if checked_in_at >= _on_day(start, NEW_VIALS_DAY, DELIVERY_HOUR) else OLD_VIALS


def _on_day(start: dt.datetime, days: int, hour: int) -> dt.datetime:
    """``hour`` o'clock, clinic time, ``days`` after the register's first day."""
    return dt.datetime.combine(start.date() + dt.timedelta(days=days), dt.time(hour), tzinfo=start.tzinfo)


def _register_sessions(clinic: Any) -> list[TreatmentSession]:
    """The clinic's sessions dosed from a lot of the register (not `HISTORY_LOT`), doses in order."""
    return list(
        TreatmentSession.objects.filter(clinic=clinic, doses__lot_number__in=(OLD_VIALS, NEW_VIALS, DEVICES))
        .distinct()
        .order_by("checked_in_at")
        .prefetch_related(
            Prefetch(
                "doses",
                queryset=DoseAdministration.objects.select_related("created_by").order_by("started_at", "id"),
            )
        )
    )


def _units_drawn(
    sessions: list[TreatmentSession], mg_per_unit: dict[str, Decimal], *, before: dt.datetime | None = None
) -> dict[str, int]:
    """How many units of each lot the sessions (drawn before ``before``, when given) draw, whole units
    per session as `_session_events` draws them."""
    drawn = dict.fromkeys(mg_per_unit, 0)
    for session in sessions:
        doses = list(session.doses.all())
        lot_number = doses[0].lot_number
        if lot_number in drawn and (before is None or doses[0].started_at - DRAW_BEFORE_DOSE < before):
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


def _session_events(
    session: TreatmentSession, nurse: Any, prescriber: Any, safe: Any, lots: dict[str, Lot]
) -> list[tuple[dt.datetime, Callable[[], None]]]:
    """The session's register events, each at its own time: the draw, each dose as it is given, and for
    a discharged session the draw closed (the remainder wasted under witness) after the last dose."""
    doses = list(session.doses.all())
    drawn_at = doses[0].started_at - DRAW_BEFORE_DOSE
    total = sum((d.dose_mg for d in doses), Decimal("0"))
    made: list[Draw] = []

    def draw() -> None:
        number = doses[0].lot_number
        if number not in lots:
            lots[number] = Lot.objects.select_related("product").get(clinic=session.clinic, number=number)
        lot = lots[number]
        units = max(1, math.ceil(total / lot.product.mg_per_unit))
        made.append(
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
        )

    def give(dose: DoseAdministration) -> Callable[[], None]:
        return lambda: services.on_dose_recorded(None, dose=dose, user=dose.created_by)

    events: list[tuple[dt.datetime, Callable[[], None]]] = [(drawn_at, draw)]
    events += [(dose.started_at, give(dose)) for dose in doses]
    if session.state == TreatmentSession.State.DISCHARGED:
        when = (session.dose_ended_at or doses[-1].started_at) + dt.timedelta(minutes=10)

        def close() -> None:
            services.close_draw(
                draw=made[0],
                user=nurse,
                witness=services.VerifiedWitness(user=prescriber, verified_at=when),
                now=when,
            )

        events.append((when, close))
    return events
