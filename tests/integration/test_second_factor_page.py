"""Before the second factor a staff member's pages show nothing of the clinic.

Signed in with a password only, a clinician reaches the sign-in and second-factor pages; those show no
clinic navigation, no alert count and no clinic switcher. Once the code is accepted, they do.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.alerts.services import raise_alert

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_the_second_factor_page_shows_nothing_of_the_clinic_before_the_code(personas: Any) -> None:
    raise_alert(patient=personas.a1, source="red_flag_checkin", severity="emergency", title="Chest pain")
    personas.clinician_a.set_password(PASSWORD)
    personas.clinician_a.save()
    device = TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    client = Client()
    client.post("/accounts/login/", {"username": "clinician.a@example.org", "password": PASSWORD})
    before = client.get("/accounts/mfa/").content.decode()
    assert 'name="code"' in before
    for clinic_only in ("/clinic/patients/", "/clinic/alerts/", "/clinic/today/", "open alerts", "Clinic A"):
        assert clinic_only not in before, clinic_only
    assert client.post("/accounts/mfa/", {"code": _code(device)}).status_code == 302
    after = client.get("/accounts/security/").content.decode()
    assert "/clinic/patients/" in after and "/clinic/alerts/" in after and "1 open alerts" in after
