"""Builders for the controlled-drug register, through its services (the rules hold for fixtures too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.clinics.models import StaffMembership
from ketacare.register import services
from ketacare.register.models import Lot, Product, StorageLocation


def add_nurse(clinic: Any, email: str = "nurse.a@example.org", password: str = "witness-Pass-1") -> Any:  # noqa: S107 - a test account
    """A nurse of the clinic with a password and a confirmed authenticator (a witness or a recorder)."""
    from ketacare.accounts.models import User

    user = User.objects.create_user(email, password, full_name=email.split("@")[0].replace(".", " ").title())
    StaffMembership.objects.create(user=user, clinic=clinic, role="nurse")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def totp_now(user: Any) -> str:
    """The user's current authenticator code (what their phone shows)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def start_register(
    personas: Any, *, jurisdiction: str = "us", concentration: str = "50", volume: str = "10"
) -> tuple[StorageLocation, Product]:
    """Clinic A keeps its register: a safe and a ketamine vial product (50 mg/ml x 10 ml = 500 mg)."""
    clinic, admin = personas.clinic_a, personas.admin_a
    services.configure_register(clinic=clinic, user=admin, jurisdiction=jurisdiction)
    location = services.add_location(clinic=clinic, user=admin, name="Safe 1")
    product = services.add_product(
        clinic=clinic,
        user=admin,
        kind="ketamine_vial",
        concentration_mg_per_ml=concentration,
        volume_ml=volume,
    )
    return location, product


def receive(
    personas: Any, product: Product, location: StorageLocation, *, units: int, lot_number: str = "K-LOT-1"
) -> Lot:
    receipt = services.receive_stock(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        product=product,
        lot_number=lot_number,
        expires_on=timezone.now().date() + dt.timedelta(days=365),
        location=location,
        units=units,
        supplier="Example Pharma Wholesale",
        invoice_number="INV-1001",
        received_on=timezone.now().date(),
    )
    return receipt.lot
