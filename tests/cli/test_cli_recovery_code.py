"""`ketacare recovery-code EMAIL`: the command the sign-in page names to an administrator who lost their
authenticator with nobody at their clinic to reset it; its code lets them in once."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # noqa: S105 - test data only
MFA = "/accounts/mfa/"


def _past_the_password(user) -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_code_it_prints_lets_the_lone_administrator_in_once(run, personas):
    TOTPDevice.objects.create(user=personas.admin_a, name="lost phone", confirmed=True)
    client = _past_the_password(personas.admin_a)
    assert "“ketacare recovery-code”" in client.get(MFA).content.decode()
    result = run("recovery-code", personas.admin_a.email.upper(), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["email"] == personas.admin_a.email and re.fullmatch(r"[a-z2-7]{8}", data["code"])
    response = client.post(MFA, {"recovery_code": data["code"]})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    assert _past_the_password(personas.admin_a).post(MFA, {"recovery_code": data["code"]}).status_code == 400


def test_it_says_how_the_code_is_used(run, personas):
    result = run("recovery-code", personas.admin_a.email)
    assert result.exit_code == 0, result.output
    assert re.match(rf"Recovery code for {re.escape(personas.admin_a.email)}: [a-z2-7]{{8}}\n", result.stdout)
    assert "works once, in place of the six-digit code" in result.stdout
    assert "replace their authenticator app under Sign-in security" in result.stdout


def test_an_unknown_or_patient_account_is_refused_on_one_line(run, personas, assert_bad_input):
    assert_bad_input(
        run("recovery-code", "nobody@example.org"),
        "ketacare recovery-code: error: email: no active account uses 'nobody@example.org'",
    )
    assert_bad_input(run("recovery-code", personas.a1.user.email), "is a patient's account")
    personas.clinician_a.is_active = False
    personas.clinician_a.save(update_fields=["is_active"])
    assert_bad_input(run("recovery-code", personas.clinician_a.email), "no active account uses")
