"""Password reset by e-mail, recovery codes, replacing one's authenticator (docs/decisions/0011)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login
from ketacare.accounts.services import issue_recovery_codes
from ketacare.accounts.tokens import reset_tokens
from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db
STAFF_PASSWORD = "old staff password 2026"  # noqa: S105 - test data only
NEW_PASSWORD = "a brand new password 2026"  # noqa: S105 - test data only


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The reset limit counts in the cache; each test starts (and leaves) it empty.
    cache.clear()
    yield
    cache.clear()


def _link(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _request_reset(client: Client, email: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email})


def test_the_reset_page_answers_the_same_whether_or_not_the_address_exists(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    personas.clinician_a.set_password(STAFF_PASSWORD)
    personas.clinician_a.save()
    known = _request_reset(Client(), "Clinician.A@example.org", django_capture_on_commit_callbacks)
    unknown = _request_reset(Client(), "nobody@example.org", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(rb"[A-Za-z0-9]{64}")  # the CSRF tokens, which differ per client
    assert strip.sub(b"", known.content) == strip.sub(b"", unknown.content)
    assert [m.to for m in mailoutbox] == [["clinician.a@example.org"]]
    message = mailoutbox[0]
    assert message.subject == "Reset your password"
    assert "/accounts/reset/" in message.body and "60 minutes" in message.body
    # Plain and short, nothing about the person or their care.
    assert not message.alternatives and len(message.body) < 600
    for word in ("Clinician", "Clinic A", "ketamine", "patient"):
        assert word not in message.body
    rows = AccessEvent.objects.filter(object_type="password_reset_request").order_by("id")
    assert [(r.outcome, r.user_email) for r in rows] == [
        ("success", "clinician.a@example.org"),
        ("failure", "nobody@example.org"),
    ]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    user = personas.clinician_a
    user.set_password(STAFF_PASSWORD)
    user.save()
    signed_in = login(Client(), user)
    _request_reset(Client(), user.email, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0].body)
    page = Client().get(link)
    assert page.status_code == 200 and b"Choose a new password" in page.content
    short = Client().post(link, {"password": "too short", "confirm": "too short"})
    assert short.status_code == 400 and b"at least 12 are required" in short.content
    user.refresh_from_db()
    assert user.check_password(STAFF_PASSWORD)
    done = Client().post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in.get(reverse("patients:list")).status_code == 302  # the old session is gone
    again = Client().post(
        link, {"password": "yet another password 2026", "confirm": "yet another password 2026"}
    )
    assert again.status_code == 404 and b"This link is not valid" in again.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_gets_its_own_page_and_changes_nothing(personas):
    user = personas.a1.user
    user.set_password("patient password 1")
    user.save()
    token = reset_tokens.make_token(user)
    url = reverse("accounts:password_reset_confirm", kwargs={"user_id": str(user.public_id), "token": token})
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=61)):
        response = Client().post(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and b"This link has expired" in response.content
    user.refresh_from_db()
    assert user.check_password("patient password 1")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda user, token: (str(user.public_id), token[:-1] + ("a" if token[-1] != "a" else "b")),
        lambda user, token: (str(user.public_id), "zzzzzz-" + token.split("-")[1]),
        lambda user, token: ("00000000-0000-4000-8000-000000000000", token),
        lambda user, token: ("not-a-uuid", token),
        lambda user, token: (str(user.public_id), "garbage"),
    ],
    ids=["signature", "timestamp", "unknown-user", "malformed-user", "malformed-token"],
)
def test_a_tampered_reset_link_is_not_valid_and_changes_nothing(personas, tamper):
    user = personas.a1.user
    user.set_password("patient password 1")
    user.save()
    user_id, token = tamper(user, reset_tokens.make_token(user))
    url = reverse("accounts:password_reset_confirm", kwargs={"user_id": user_id, "token": token})
    response = Client().post(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404 and b"This link is not valid" in response.content
    user.refresh_from_db()
    assert user.check_password("patient password 1")


def test_reset_requests_are_rate_limited_per_address_whether_or_not_it_exists(
    personas, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    for email in ("nobody@example.org", "patient.a1@example.org"):
        answers = [
            _request_reset(Client(), email, django_capture_on_commit_callbacks).status_code for _ in range(3)
        ]
        assert answers == [200, 200, 429]
    assert len(mailoutbox) == 0  # the persona has no usable password: nothing to reset


def test_reset_requests_are_rate_limited_per_client_address(settings, db, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 3
    answers = [
        _request_reset(Client(), f"someone{i}@example.org", django_capture_on_commit_callbacks).status_code
        for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    assert AccessEvent.objects.filter(object_type="password_reset_request", outcome="denied").count() == 1


def test_a_bad_reset_request_names_the_field(db):
    response = Client().post(reverse("accounts:password_reset"), {"email": "not an address"})
    assert (
        response.status_code == 400
        and b"Enter an e-mail address, such as name@example.org." in response.content
    )


# --- Recovery codes ---------------------------------------------------------------------------------


def _password_login(user: Any, password: str = STAFF_PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": password})
    assert response.status_code == 302
    return client


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_enrolment_gives_recovery_codes_shown_once(personas):
    user = personas.clinician_a
    user.set_password(STAFF_PASSWORD)
    user.save()
    client = _password_login(user)
    assert b"Set up your authenticator app" in client.get(reverse("accounts:mfa")).content
    device = TOTPDevice.objects.get(user=user)
    response = client.post(reverse("accounts:mfa"), {"code": _code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    page = client.get(reverse("accounts:security"))
    codes = re.findall(rb"<li><code>([a-z2-7]{8})</code></li>", page.content)
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == {
        c.decode() for c in codes
    }
    assert b"<code>" not in client.get(reverse("accounts:security")).content  # shown only once


def test_a_recovery_code_lets_staff_in_once_when_the_phone_is_lost(personas):
    user = personas.clinician_a
    user.set_password(STAFF_PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = issue_recovery_codes(user=user)
    client = _password_login(user)
    page = client.get(reverse("accounts:mfa"))
    assert b"Use a recovery code" in page.content
    response = client.post(reverse("accounts:mfa"), {"recovery_code": codes[0].upper()})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    assert client.get(reverse("patients:list")).status_code == 200
    assert (
        AccessEvent.objects.filter(action="mfa", object_type="recovery_code", outcome="success").count() == 1
    )
    # The same code a second time does not work.
    other = _password_login(user)
    refused = other.post(reverse("accounts:mfa"), {"recovery_code": codes[0]})
    assert refused.status_code == 400 and b"did not work" in refused.content
    assert other.get(reverse("patients:list")).status_code == 302


def test_regenerating_recovery_codes_retires_the_old_ones(personas):
    user = personas.clinician_a
    old = issue_recovery_codes(user=user)
    client = login(Client(), user)
    response = client.post(reverse("accounts:security"), {"action": "regenerate_codes"})
    assert response.status_code == 302
    new = re.findall(
        rb"<li><code>([a-z2-7]{8})</code></li>", client.get(reverse("accounts:security")).content
    )
    assert len(new) == 10
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == {c.decode() for c in new} and not tokens & set(old)
    assert StaticDevice.objects.filter(user=user).count() == 1


def test_replacing_ones_authenticator_enrols_a_new_one(personas):
    user = personas.clinician_a
    client = login(Client(), user)
    old_key = TOTPDevice.objects.get(user=user).key
    response = client.post(reverse("accounts:security"), {"action": "replace_authenticator"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:mfa")
    page = client.get(reverse("accounts:mfa"))
    assert b"Set up your authenticator app" in page.content
    device = TOTPDevice.objects.get(user=user)
    assert device.key != old_key and not device.confirmed
    assert client.get(reverse("patients:list")).status_code == 302  # not verified until enrolled
    client.post(reverse("accounts:mfa"), {"code": _code(device)})
    assert client.get(reverse("patients:list")).status_code == 200


def test_the_security_page_is_for_verified_staff_only(personas):
    assert login(Client(), personas.a1.user).get(reverse("accounts:security")).status_code == 404
    user = personas.clinician_a
    unverified = Client()
    unverified.force_login(user)
    response = unverified.get(reverse("accounts:security"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:mfa")
    assert unverified.post(reverse("accounts:security"), {"action": "regenerate_codes"}).status_code == 302
    assert not StaticDevice.objects.filter(user=user).exists()


def test_an_unknown_security_action_changes_nothing(personas):
    user = personas.clinician_a
    codes = issue_recovery_codes(user=user)
    client = login(Client(), user)
    response = client.post(reverse("accounts:security"), {"action": "delete_everything"}, follow=True)
    assert b"action: choose regenerate_codes or replace_authenticator" in response.content
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(codes)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
