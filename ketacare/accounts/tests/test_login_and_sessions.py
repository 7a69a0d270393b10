"""Login, lockout, MFA, password rules and session lifetime (security.md #8, #9)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login
from ketacare.accounts.services import deactivate_user
from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db
STAFF_PASSWORD = "correct horse battery staple"
PATIENT_PASSWORD = "lantern-9-oak"


def _with_password(user, password):
    user.set_password(password)
    user.save()
    return user


def _post_login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def _code(device, offset_steps=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


# Django 5.2's Argon2id cost, the production setting; a lower value weakens every stored password.
ARGON2_MIN_MEMORY_KIB = 102_400
ARGON2_MIN_TIME_COST = 2
SLOW_HASHERS = (
    "Argon2PasswordHasher",
    "PBKDF2PasswordHasher",
    "ScryptPasswordHasher",
    "BCryptSHA256PasswordHasher",
)


def test_passwords_are_hashed_with_argon2(personas):
    # The test run swaps in a fast hasher (ketacare/lib/pytest_env.py); the settings module keeps
    # the production list, and a password set under it must come out as Argon2id at full cost.
    from ketacare import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert all(name.rsplit(".", 1)[1] in SLOW_HASHERS for name in production.PASSWORD_HASHERS)
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        user = _with_password(personas.a1.user, PATIENT_PASSWORD)
        algorithm, variety, version, parameters, _salt, _hash = user.password.split("$")
        cost = dict(part.split("=") for part in parameters.split(","))
        assert (algorithm, variety, version) == ("argon2", "argon2id", "v=19")
        assert int(cost["m"]) >= ARGON2_MIN_MEMORY_KIB and int(cost["t"]) >= ARGON2_MIN_TIME_COST
        assert user.check_password(PATIENT_PASSWORD) and not user.check_password(PATIENT_PASSWORD + "x")
    assert settings.PASSWORD_HASHERS != production.PASSWORD_HASHERS  # the fast test hasher is in effect


def test_a_patient_logs_in_with_email_and_lands_on_their_home(personas):
    _with_password(personas.a1.user, PATIENT_PASSWORD)
    client = Client()
    client.get("/accounts/login/")
    anonymous_key = client.session.session_key
    response = _post_login(client, "patient.a1@example.org", PATIENT_PASSWORD)
    assert response.status_code == 302
    assert client.session.session_key != anonymous_key  # new session id at login
    assert client.get("/", follow=True).request["PATH_INFO"] == "/me/"
    assert (
        AccessEvent.objects.filter(
            action="login", outcome="success", user_email="patient.a1@example.org"
        ).count()
        == 1
    )


def test_a_failed_login_is_audited_without_the_password(personas):
    response = _post_login(Client(), "patient.a1@example.org", "wrong-password-123")
    assert response.status_code == 200
    row = AccessEvent.objects.get(action="login", outcome="failure")
    assert row.user_email == "patient.a1@example.org"
    assert "wrong-password" not in str(row.__dict__)


def test_login_errors_say_what_to_do_without_saying_which_was_wrong(personas):
    _with_password(personas.a1.user, PATIENT_PASSWORD)
    empty = Client().post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "Enter your e-mail address" in empty and "Enter your password" in empty
    assert "This field is required" not in empty
    wrong = _post_login(Client(), personas.a1.user.email, "not-the-password").content.decode()
    unknown = _post_login(Client(), "nobody@example.org", "not-the-password").content.decode()
    message = "That e-mail address and password do not match an account. Check both and try again."
    assert message in html.unescape(wrong) and message in html.unescape(unknown)
    assert "case-sensitive" not in wrong


def test_repeated_failures_lock_the_account_out(personas):
    _with_password(personas.a1.user, PATIENT_PASSWORD)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "patient.a1@example.org", "not-the-password")
    response = _post_login(client, "patient.a1@example.org", PATIENT_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_staff_must_pass_totp_before_any_patient_data(personas):
    _with_password(personas.clinician_a, STAFF_PASSWORD)
    device = TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    client = Client()
    _post_login(client, "clinician.a@example.org", STAFF_PASSWORD)
    assert client.get("/clinic/patients/")["Location"] == "/accounts/mfa/"
    assert client.get("/api/v1/patients").status_code == 401
    assert (
        client.post(
            "/accounts/mfa/", {"code": "000000" if _code(device) != "000000" else "111111"}
        ).status_code
        == 400
    )
    # django-otp throttles after a failure (1 s, doubling); wait it out, as a person would.
    with time_machine.travel(dt.timedelta(seconds=3)):
        assert client.post("/accounts/mfa/", {"code": _code(device)}).status_code == 302
    assert client.get("/clinic/patients/").status_code == 200


def test_a_totp_code_works_only_once(personas):
    _with_password(personas.clinician_a, STAFF_PASSWORD)
    device = TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    first = Client()
    _post_login(first, "clinician.a@example.org", STAFF_PASSWORD)
    code = _code(device)
    assert first.post("/accounts/mfa/", {"code": code}).status_code == 302
    second = Client()
    _post_login(second, "clinician.a@example.org", STAFF_PASSWORD)
    assert second.post("/accounts/mfa/", {"code": code}).status_code == 400


def test_a_demo_account_signing_in_twice_within_one_code_is_shown_a_code_that_works(personas, settings):
    settings.DEMO_MODE = True
    user = _with_password(personas.clinician_a, STAFF_PASSWORD)
    user.email = "nurse@demo.ketacare.org"
    user.save(update_fields=["email"])
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        codes = []
        for _ in range(2):  # the second sign-in falls within the same 30-second code
            client = Client()
            _post_login(client, user.email, STAFF_PASSWORD)
            page = client.get("/accounts/mfa/").content.decode()
            code = page.split('data-testid="demo-code">')[1][:6]
            assert client.post("/accounts/mfa/", {"code": code}).status_code == 302
            codes.append(code)
    assert codes[0] != codes[1]


def test_staff_without_a_device_are_shown_enrolment(personas):
    client = login(Client(), personas.clinician_a)
    client.session.flush()
    client.force_login(personas.clinician_a)
    TOTPDevice.objects.filter(user=personas.clinician_a).delete()
    page = client.get("/accounts/mfa/")
    assert b"Set up your authenticator app" in page.content
    device = TOTPDevice.objects.get(user=personas.clinician_a)
    assert not device.confirmed
    client.post("/accounts/mfa/", {"code": _code(device)})
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.parametrize(
    ("password", "staff", "ok"),
    [
        ("short7!", False, False),
        ("eightch8", False, True),
        ("elevenchars", True, False),
        ("twelve-chars", True, True),
        ("password123", False, False),  # common
        ("x" * 63 + "Q", True, True),  # 64+ accepted
    ],
)
def test_password_rules_depend_on_role(personas, password, staff, ok):
    user = personas.clinician_a if staff else personas.a1.user
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


@pytest.mark.parametrize(
    ("persona", "idle_min", "expired"),
    [("clinician_a", 14, False), ("clinician_a", 16, True), ("a1", 29, False), ("a1", 31, True)],
)
def test_sessions_end_after_the_idle_timeout_for_the_role(personas, client_for, persona, idle_min, expired):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(persona)
        url = "/clinic/patients/" if persona != "a1" else "/me/"
        assert client.get(url).status_code == 200
        traveller.shift(dt.timedelta(minutes=idle_min))
        response = client.get(url)
    assert (response.status_code == 302 and "expired=1" in response["Location"]) is expired


def test_sessions_end_after_twelve_hours_even_when_active(personas, client_for):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for("a1")
        for _ in range(12 * 60 // 20):
            traveller.shift(dt.timedelta(minutes=20))
            last = client.get("/me/")
        assert last.status_code == 200  # exactly 12 h: still inside the lifetime
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get("/me/").status_code == 302


def test_logging_out_says_so_on_the_login_page(personas, client_for):
    client = client_for("a1")
    page = client.post("/accounts/logout/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/login/?signed_out=1"
    assert "You are logged out." in page.content.decode()
    assert "You are logged out." not in Client().get("/accounts/login/").content.decode()


def test_logout_invalidates_the_session_server_side(personas):
    _with_password(personas.a1.user, PATIENT_PASSWORD)
    client = Client()
    _post_login(client, "patient.a1@example.org", PATIENT_PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/me/").status_code == 302


def test_deactivating_a_user_ends_their_sessions(personas):
    _with_password(personas.a1.user, PATIENT_PASSWORD)
    client = Client()
    _post_login(client, "patient.a1@example.org", PATIENT_PASSWORD)
    assert client.get("/me/").status_code == 200
    deactivate_user(user=personas.a1.user)
    assert client.get("/me/").status_code == 302


@pytest.mark.parametrize("persona", ["a1", "clinician_a"])
def test_the_test_login_matches_a_real_login(personas, persona):
    # conftest.login writes the session a login through the pages leaves, instead of logging in;
    # if the pages start storing something else, this fails and the helper must follow.
    from ketacare.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY

    user = personas.user(persona)
    password = PATIENT_PASSWORD if persona == "a1" else STAFF_PASSWORD
    _with_password(user, password)
    real = Client()
    assert _post_login(real, user.email, password).status_code == 302
    if persona != "a1":
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        assert real.post("/accounts/mfa/", {"code": _code(device)}).status_code == 302
    helper = login(Client(), user)
    assert (
        helper.cookies[settings.SESSION_COOKIE_NAME].value != real.cookies[settings.SESSION_COOKIE_NAME].value
    )
    real_session, helper_session = dict(real.session.items()), dict(helper.session.items())
    assert real_session.keys() == helper_session.keys()
    stamps = {SESSION_STARTED_KEY, SESSION_SEEN_KEY}
    assert {k: v for k, v in helper_session.items() if k not in stamps} == {
        k: v for k, v in real_session.items() if k not in stamps
    }
    assert all(abs(helper_session[k] - real_session[k]) < 60 for k in stamps)
    page = "/me/" if persona == "a1" else "/clinic/patients/"
    assert helper.get(page).status_code == real.get(page).status_code == 200
