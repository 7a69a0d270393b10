"""The register's own rules: append-only entries, no negative balance, witnesses, doses tied to draws."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.register import services
from ketacare.register.models import Entry, LedgerIsAppendOnly
from ketacare.treatments.models import DoseAdministration
from ketacare.treatments.services import end_dosing, record_dose
from tests.support.register import add_nurse, receive, start_register, totp_now
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=2)
    return {"location": location, "product": product, "lot": lot, "nurse": add_nurse(personas.clinic_a)}


def test_an_entry_is_never_edited_or_deleted(stocked: dict[str, Any]) -> None:
    entry = Entry.objects.get(lot=stocked["lot"])
    entry.reason = "changed"
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        Entry.objects.filter(pk=entry.pk).update(reason="changed")
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(LedgerIsAppendOnly):
        Entry.objects.filter(pk=entry.pk).delete()
    # Below the ORM the database refuses an UPDATE too.
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE register_entry SET reason = 'x' WHERE id = %s", [entry.pk])
    assert Entry.objects.get(pk=entry.pk).reason != "x"


def test_a_correction_below_zero_is_refused_with_the_balance(personas: Any, stocked: dict[str, Any]) -> None:
    witness = services.VerifiedWitness(user=stocked["nurse"], verified_at=timezone.now())
    with pytest.raises(ConflictError, match="holds 1000 mg: the balance can never go below 0 mg"):
        services.record_correction(
            clinic=personas.clinic_a,
            user=personas.clinician_a,
            witness=witness,
            lot=stocked["lot"],
            location=stocked["location"],
            change_mg=-1000.01,
            reason="miscount",
        )
    assert Entry.objects.filter(kind="correction").count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            clinic=personas.clinic_a,
            lot=stocked["lot"],
            location=stocked["location"],
            kind="correction",
            change_mg=Decimal("-2000"),
            balance_after_mg=Decimal("-1000"),
            occurred_at=timezone.now(),
            recorded_by=personas.clinician_a,
            witness=stocked["nurse"],
        )


def test_a_correction_cannot_take_the_balance_below_what_is_drawn_for_sessions(
    personas: Any, stocked: dict[str, Any]
) -> None:
    session = make_session(personas.a1, state="checked_in")
    user = personas.clinician_a
    services.draw_stock(session=session, user=user, lot=stocked["lot"], location=stocked["location"], units=1)
    correction = {
        "clinic": personas.clinic_a,
        "user": user,
        "witness": services.VerifiedWitness(user=stocked["nurse"], verified_at=timezone.now()),
        "lot": stocked["lot"],
        "location": stocked["location"],
        "reason": "vial missing",
    }
    with pytest.raises(ConflictError, match="500 mg of lot K-LOT-1 is drawn out of Safe 1 for sessions"):
        services.record_correction(**correction, change_mg=-600)
    services.record_correction(**correction, change_mg=-500)  # the vial in the safe is missing
    assert services.balance_mg(stocked["lot"], stocked["location"]) == Decimal("500")
    # The drawn vial can still be given: its dose is not refused by the register.
    record_dose(session=session, user=user, dose_mg=35, lot_number="K-LOT-1")
    end_dosing(session=session, user=user, reason="patient asked to stop")
    assert Entry.objects.filter(kind="administration").count() == 1


def test_a_correction_needs_a_reason_and_a_witness_other_than_the_recorder(
    personas: Any, stocked: dict[str, Any]
) -> None:
    args = {
        "clinic": personas.clinic_a,
        "lot": stocked["lot"],
        "location": stocked["location"],
        "change_mg": -10,
    }
    with pytest.raises(FieldError, match="reason is required"):
        services.record_correction(
            user=personas.clinician_a,
            witness=services.VerifiedWitness(stocked["nurse"], timezone.now()),
            reason=" ",
            **args,
        )
    with pytest.raises(FieldError, match="another person"):
        services.record_correction(
            user=personas.clinician_a,
            witness=services.VerifiedWitness(personas.clinician_a, timezone.now()),
            reason="spilt",
            **args,
        )
    with pytest.raises(FieldError, match="must witness"):
        services.record_correction(user=personas.clinician_a, witness=None, reason="spilt", **args)
    assert not Entry.objects.filter(kind="correction").exists()


def test_the_witness_proves_who_they_are_with_password_and_code(
    personas: Any, stocked: dict[str, Any]
) -> None:
    nurse = stocked["nurse"]
    with pytest.raises(FieldError, match="another person"):
        services.verify_witness(
            clinic=personas.clinic_a,
            recorder=nurse,
            email=nurse.email,
            password="witness-Pass-1",
            otp_token=totp_now(nurse),
        )
    with pytest.raises(FieldError, match="not right"):
        services.verify_witness(
            clinic=personas.clinic_a,
            recorder=personas.clinician_a,
            email=nurse.email,
            password="wrong",
            otp_token=totp_now(nurse),
        )
    other = add_nurse(personas.clinic_b, email="nurse.b@example.org")
    with pytest.raises(FieldError, match="not right"):
        services.verify_witness(
            clinic=personas.clinic_a,
            recorder=personas.clinician_a,
            email=other.email,
            password="witness-Pass-1",
            otp_token=totp_now(other),
        )
    proof = services.verify_witness(
        clinic=personas.clinic_a,
        recorder=personas.clinician_a,
        email=nurse.email,
        password="witness-Pass-1",
        otp_token=totp_now(nurse),
    )
    assert proof.user == nurse
    # The same code cannot be replayed, and a wrong one is refused (django-otp then throttles the device).
    with pytest.raises(FieldError, match="not right"):
        services.verify_witness(
            clinic=personas.clinic_a,
            recorder=personas.clinician_a,
            email=nurse.email,
            password="witness-Pass-1",
            otp_token=totp_now(nurse),
        )


def test_only_nurses_and_prescribers_record(personas: Any, stocked: dict[str, Any]) -> None:
    with pytest.raises(NotPermitted):
        services.receive_stock(
            clinic=personas.clinic_a,
            user=personas.admin_a,
            product=stocked["product"],
            lot_number="X",
            expires_on=dt.date(2030, 1, 1),
            location=stocked["location"],
            units=1,
            supplier="S",
            invoice_number="I",
            received_on=timezone.now().date(),
        )


def test_a_dose_at_a_register_clinic_needs_a_drawn_lot(personas: Any, stocked: dict[str, Any]) -> None:
    session = make_session(personas.a1, state="checked_in")
    user = personas.clinician_a
    with pytest.raises(ConflictError, match="has not been drawn"):
        record_dose(session=session, user=user, dose_mg=35, lot_number=stocked["lot"].number)
    assert not DoseAdministration.objects.filter(session=session).exists()
    draw = services.draw_stock(
        session=session, user=user, lot=stocked["lot"], location=stocked["location"], units=1
    )
    with pytest.raises(ConflictError, match="more than the 500 mg left"):
        record_dose(
            session=session,
            user=user,
            dose_mg=501,
            lot_number=stocked["lot"].number,
            out_of_bounds_reason="x",
        )
    dose = record_dose(session=session, user=user, dose_mg=35, lot_number=stocked["lot"].number)
    # A running infusion is posted when it stops (its delivered amount is then final).
    assert not Entry.objects.filter(dose=dose).exists()
    end_dosing(session=session, user=user, reason="patient asked to stop")
    dose.refresh_from_db()
    entry = Entry.objects.get(dose=dose)
    assert entry.change_mg == -dose.dose_mg and entry.draw == draw
    with pytest.raises(FieldError, match="must witness"):
        services.close_draw(draw=draw, user=user, witness=None)
    waste = services.close_draw(
        draw=draw, user=user, witness=services.VerifiedWitness(stocked["nurse"], timezone.now())
    )
    assert [e.kind for e in waste] == ["waste"]
    assert waste[0].change_mg == -(Decimal("500") - dose.dose_mg)
    assert services.balance_mg(stocked["lot"], stocked["location"]) == Decimal("500")


def test_a_clinic_without_a_register_records_doses_as_before(personas: Any) -> None:
    session = make_session(personas.a1, state="checked_in")
    dose = record_dose(session=session, user=personas.clinician_a, dose_mg=35, lot_number="ANY-LOT")
    assert dose.pk and not Entry.objects.exists()


def test_esketamine_counts_whole_devices(personas: Any) -> None:
    location, _ = start_register(personas)
    product = services.add_product(
        clinic=personas.clinic_a, user=personas.admin_a, kind="esketamine_device", units_per_pack=2
    )
    assert product.mg_per_unit == Decimal("28")
    with pytest.raises(FieldError, match="packs of 2 or 3"):
        services.add_product(
            clinic=personas.clinic_a, user=personas.admin_a, kind="esketamine_device", units_per_pack=4
        )
    lot = receive(personas, product, location, units=6, lot_number="ESK-1")
    session = make_session(personas.a1, route="esketamine_in", state="checked_in")
    user = personas.clinician_a
    draw = services.draw_stock(session=session, user=user, lot=lot, location=location, units=3)
    now = timezone.now()
    record_dose(
        session=session, user=user, dose_mg=28, lot_number="ESK-1", started_at=now - dt.timedelta(minutes=10)
    )
    record_dose(
        session=session, user=user, dose_mg=28, lot_number="ESK-1", started_at=now - dt.timedelta(minutes=4)
    )
    entries = services.close_draw(draw=draw, user=user, witness=None)
    # Two devices used whole, one returned unopened: nothing to waste, so no witness is needed.
    assert [e.kind for e in entries] == ["return"]
    assert services.balance_mg(lot, location) == Decimal(28 * 4)


def test_a_loss_report_keeps_the_jurisdictions_dates_with_their_sources(
    personas: Any, stocked: dict[str, Any]
) -> None:
    import zoneinfo

    discovered = dt.datetime(2026, 12, 4, 16, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))  # a Friday
    report = services.report_loss(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        kind="theft",
        lot=stocked["lot"],
        amount_mg="500",
        discovered_at=discovered,
        description="Safe found open; one vial missing.",
    )
    due = {d["id"]: d for d in report.deadlines}
    assert due["notify_authority"]["due_on"] == "2026-12-07"
    assert due["notify_authority"]["source"] == "cfr_1301_76_b"
    assert due["form_106"]["due_on"] == "2027-01-18"
    with pytest.raises(NotPermitted):
        services.report_loss(
            clinic=personas.clinic_a,
            user=stocked["nurse"],
            kind="loss",
            lot=stocked["lot"],
            amount_mg="1",
            discovered_at=discovered,
            description="x",
        )


def test_each_witness_attempt_is_audited(personas: Any, stocked: dict[str, Any]) -> None:
    from ketacare.audit.models import AccessEvent

    nurse = stocked["nurse"]
    with pytest.raises(FieldError):
        services.verify_witness(
            clinic=personas.clinic_a,
            recorder=personas.clinician_a,
            email=nurse.email,
            password="wrong",
            otp_token="123456",
        )
    services.verify_witness(
        clinic=personas.clinic_a,
        recorder=personas.clinician_a,
        email=nurse.email,
        password="witness-Pass-1",
        otp_token=totp_now(nurse),
    )
    events = AccessEvent.objects.filter(action="mfa", object_type="witness").order_by("id")
    assert list(events.values_list("outcome", flat=True)) == ["failure", "success"]
    assert events.last().object_id == str(nurse.public_id)


def test_devices_drawn_one_at_a_time_are_each_given_from_their_own_draw(personas: Any) -> None:
    location, _ = start_register(personas)
    product = services.add_product(
        clinic=personas.clinic_a, user=personas.admin_a, kind="esketamine_device", units_per_pack=2
    )
    lot = receive(personas, product, location, units=4, lot_number="ESK-2")
    session = make_session(personas.a1, route="esketamine_in", state="checked_in")
    user = personas.clinician_a
    now = timezone.now()
    first = services.draw_stock(session=session, user=user, lot=lot, location=location, units=1)
    record_dose(
        session=session, user=user, dose_mg=28, lot_number="ESK-2", started_at=now - dt.timedelta(minutes=10)
    )
    # The first draw is used up: device 2 needs another device drawn, and the message says a device.
    with pytest.raises(ConflictError, match="draw another device first"):
        record_dose(
            session=session,
            user=user,
            dose_mg=28,
            lot_number="ESK-2",
            started_at=now - dt.timedelta(minutes=4),
        )
    second = services.draw_stock(session=session, user=user, lot=lot, location=location, units=1)
    record_dose(
        session=session, user=user, dose_mg=28, lot_number="ESK-2", started_at=now - dt.timedelta(minutes=4)
    )
    given = Entry.objects.filter(kind="administration").order_by("occurred_at")
    assert [e.draw_id for e in given] == [first.pk, second.pk]


def test_a_witness_left_empty_is_asked_for_not_called_wrong(personas: Any) -> None:
    with pytest.raises(FieldError) as caught:
        services.verify_witness(
            clinic=personas.clinic_a, recorder=personas.clinician_a, email="  ", password="", otp_token=""
        )
    assert caught.value.field == "witness_email"
    assert "must witness this" in caught.value.message and "not right" not in caught.value.message


def test_a_lot_number_typed_in_lower_case_is_the_drawn_lot(personas: Any, stocked: dict[str, Any]) -> None:
    session = make_session(personas.a1, state="checked_in")
    user = personas.clinician_a
    lot = stocked["lot"]
    draw = services.draw_stock(session=session, user=user, lot=lot, location=stocked["location"], units=1)
    with pytest.raises(ConflictError) as caught:
        record_dose(session=session, user=user, dose_mg=35, lot_number="OTHER-9")
    # The refusal names the lot that is drawn, so a nurse does not draw a second vial.
    assert f"open draws: lot {lot.number}" in caught.value.message
    dose = record_dose(session=session, user=user, dose_mg=35, lot_number=lot.number.lower())
    end_dosing(session=session, user=user, reason="patient asked to stop")
    dose.refresh_from_db()
    assert dose.lot_number == lot.number
    assert Entry.objects.get(dose=dose).draw == draw


def test_a_waste_names_its_volume_to_the_hundredth_of_a_ml(personas: Any, stocked: dict[str, Any]) -> None:
    session = make_session(personas.a1, state="checked_in")
    user = personas.clinician_a
    draw = services.draw_stock(
        session=session, user=user, lot=stocked["lot"], location=stocked["location"], units=1
    )
    record_dose(session=session, user=user, dose_mg=Decimal("35.01"), lot_number=stocked["lot"].number)
    end_dosing(session=session, user=user, reason="patient asked to stop")
    (waste,) = services.close_draw(
        draw=draw, user=user, witness=services.VerifiedWitness(stocked["nurse"], timezone.now())
    )
    volume = waste.reason.rsplit("(", 1)[1]
    assert volume.endswith(" ml)") and len(volume.split(".")[-1]) <= len("99 ml)"), waste.reason
