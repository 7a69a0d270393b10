"""For any sequence of receipts, administrations, wastes, corrections and counts, the register balance is
receipts - administered - wasted +/- corrections, never below zero, and every administration in the
dosing record has exactly one register entry (and every administration entry one dose)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketacare.lib.errors import ConflictError
from ketacare.register import services
from ketacare.register.models import Entry
from ketacare.treatments.models import DoseAdministration
from ketacare.treatments.services import record_dose
from ketacare.treatments.tests.factories import make_session
from tests.support.register import add_nurse, receive, start_register

pytestmark = pytest.mark.django_db

_lots = itertools.count(1)

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.integers(1, 3)),
        st.tuples(st.just("administer"), st.sampled_from([10, 35, 49.5, 70])),
        st.tuples(st.just("correct"), st.integers(-700, 700).filter(bool)),
        st.tuples(st.just("count"), st.integers(0, 4)),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def register(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    return {"location": location, "product": product, "witness": add_nurse(personas.clinic_a)}


def _sum(lot: Any, kind: str) -> Decimal:
    return Entry.objects.filter(lot=lot, kind=kind).aggregate(t=Sum("change_mg"))["t"] or Decimal("0")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_balance_follows_the_movements_and_never_goes_below_zero(
    personas: Any, register: dict[str, Any], operations: list[tuple[str, Any]]
) -> None:
    product, witness_user = register["product"], register["witness"]
    user = personas.clinician_a
    number = next(_lots)
    # A fresh safe and lot per example: the examples share one database.
    location = services.add_location(clinic=personas.clinic_a, user=personas.admin_a, name=f"Safe P{number}")
    lot = receive(personas, product, location, units=1, lot_number=f"P-{number}")
    expected = Decimal("500")
    for op, value in operations:
        if op == "receive":
            receive(personas, product, location, units=value, lot_number=lot.number)
            expected += 500 * value
        elif op == "administer":
            session = make_session(personas.a1, state="checked_in")
            now = timezone.now()
            if expected < 500:
                with pytest.raises(ConflictError):
                    services.draw_stock(session=session, user=user, lot=lot, location=location, units=1)
                continue
            draw = services.draw_stock(session=session, user=user, lot=lot, location=location, units=1)
            record_dose(
                session=session,
                user=user,
                dose_mg=value,
                lot_number=lot.number,
                started_at=now - dt.timedelta(minutes=45),
                ended_at=now - dt.timedelta(minutes=5),
                out_of_bounds_reason="property test",
            )
            witness = services.VerifiedWitness(user=witness_user, verified_at=timezone.now())
            services.close_draw(draw=draw, user=user, witness=witness)
            expected -= 500  # what was administered plus the witnessed waste of the rest of the vial
        elif op == "correct":
            witness = services.VerifiedWitness(user=witness_user, verified_at=timezone.now())
            if expected + value < 0:
                with pytest.raises(ConflictError):
                    services.record_correction(
                        clinic=personas.clinic_a,
                        user=user,
                        witness=witness,
                        lot=lot,
                        location=location,
                        change_mg=value,
                        reason="property test",
                    )
                continue
            services.record_correction(
                clinic=personas.clinic_a,
                user=user,
                witness=witness,
                lot=lot,
                location=location,
                change_mg=value,
                reason="property test",
            )
            expected += value
        else:
            count = services.submit_count(
                clinic=personas.clinic_a,
                user=user,
                location=location,
                kind="daily",
                counted_units={str(lot.public_id): value},
            )
            line = count.lines.get(lot=lot)
            assert line.expected_mg == expected
            assert hasattr(line, "discrepancy") == (Decimal(500 * value) != expected)
        balance = services.balance_mg(lot, location)
        receipts = _sum(lot, "receipt")
        administered = -_sum(lot, "administration")
        wasted = -_sum(lot, "waste")
        corrections = _sum(lot, "correction")
        assert balance == receipts - administered - wasted + corrections == expected
        assert balance >= 0
        assert not Entry.objects.filter(lot=lot, balance_after_mg__lt=0).exists()
    doses = DoseAdministration.objects.filter(clinic=personas.clinic_a, lot_number=lot.number)
    for dose in doses:
        assert Entry.objects.filter(dose=dose).count() == 1
    administrations = Entry.objects.filter(lot=lot, kind="administration")
    assert administrations.count() == doses.count()
    assert all(e.dose is not None and e.dose.lot_number == lot.number for e in administrations)
    for entry in administrations:
        assert -entry.change_mg == entry.dose.dose_mg
    assert math.isclose(float(-_sum(lot, "administration")), float(sum(d.dose_mg for d in doses)))
