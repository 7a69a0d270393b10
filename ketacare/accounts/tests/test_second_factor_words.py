"""What the second-factor page and the staff invitation page tell a person.

- After a wrong code django-otp refuses every code, the right one too, for 1, 2, 4 ... seconds: the page
  says so with the time left, instead of calling a correct code wrong.
- "Lost your phone?" is for someone who has a phone to lose: not while enrolling. With a confirmed
  authenticator the recovery codes come first, then who can reset the second factor; with no other
  administrator at the clinic, the installation's operator (who makes a one-time recovery code).
- The invitation's expiry reads on the clinic's clock, as on the administrator's staff page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login
from ketacare.accounts.models import User
from ketacare.accounts.services import issue_operator_recovery_code, issue_recovery_codes
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # noqa: S105 - test data only
T0 = dt.datetime(2026, 12, 7, 15, 0, 2, tzinfo=dt.UTC)  # early in a 30-second code, so one code serves
MFA = "/accounts/mfa/"


def _signed_in(user: User) -> Client:
    """A client past the password, before the second factor."""
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _text(response: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _alert(response: Any) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


# --- A throttled device says so -------------------------------------------------------------------


def test_enrolling_after_a_wrong_code_the_right_one_is_not_called_wrong_but_the_wait_is_named(personas):
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(personas.admin_a)
        assert b"Set up your authenticator app" in client.get(MFA).content
        device = TOTPDevice.objects.get(user=personas.admin_a)
        wrong = client.post(MFA, {"code": _wrong(_code(device))})
        assert wrong.status_code == 400
        assert _alert(wrong) == (
            "That code did not work. Codes change every 30 seconds and each works once. "
            "Wait 1 second before the next try."
        )
        # The right code a moment later: refused by the throttle, and the page says that, not "did not work".
        clock.shift(0.4)
        early = client.post(MFA, {"code": _code(device)})
        assert early.status_code == 400
        assert _alert(early) == "Too many tries: wait 1 second, then enter the code your app shows then."
        assert "did not work" not in _text(early)
        # Once the wait is over the same code works.
        clock.shift(1)
        done = client.post(MFA, {"code": _code(device)})
        assert done.status_code == 302 and done["Location"] == reverse("accounts:security")
    device.refresh_from_db()
    assert device.confirmed


def test_the_wait_named_is_the_time_left_and_it_grows_with_each_failure(personas):
    TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    device = TOTPDevice.objects.get(user=personas.clinician_a)
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(personas.clinician_a)
        client.post(MFA, {"code": _wrong(_code(device))})  # locked for 1 s
        clock.shift(1.5)
        second = client.post(MFA, {"code": _wrong(_code(device))})  # locked for 2 s, until T0 + 3.5 s
        assert _alert(second).endswith("Wait 2 seconds before the next try.")
        clock.shift(0.4)
        assert _alert(client.post(MFA, {"code": _code(device)})) == (
            "Too many tries: wait 2 seconds, then enter the code your app shows then."
        )
        clock.shift(1.2)  # 0.4 s left
        assert _alert(client.post(MFA, {"code": _code(device)})) == (
            "Too many tries: wait 1 second, then enter the code your app shows then."
        )
        clock.shift(0.5)
        assert client.post(MFA, {"code": _code(device)}).status_code == 302
    # The throttle itself is django-otp's: the refused tries while locked did not lengthen the lock
    # (the code worked 3.5 s after the first failure), and success clears it.
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_recovery_code_right_after_a_wrong_one_is_told_to_wait(personas):
    TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    codes = issue_recovery_codes(user=personas.clinician_a)
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(personas.clinician_a)
        wrong = client.post(MFA, {"recovery_code": "aaaaaaaa"})
        assert _alert(wrong) == (
            "That recovery code did not work. Each code works once; check for typing errors. "
            "Wait 1 second before the next try."
        )
        clock.shift(0.5)
        early = client.post(MFA, {"recovery_code": codes[0]})
        assert early.status_code == 400
        assert _alert(early) == "Too many tries: wait 1 second, then enter the recovery code again."
        clock.shift(1)
        assert client.post(MFA, {"recovery_code": codes[0]}).status_code == 302


# --- Lost your phone? -------------------------------------------------------------------------------


def test_enrolment_does_not_offer_a_way_back_for_a_phone_not_yet_set_up(personas):
    for user in (personas.admin_a, personas.clinician_a):
        page = _text(_signed_in(user).get(MFA))
        assert "Set up your authenticator app" in page
        assert "Lost your phone" not in page and "clinic administrator" not in page, user


def test_with_an_authenticator_the_recovery_codes_come_first_then_an_administrator(personas):
    TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    issue_recovery_codes(user=personas.clinician_a)
    page = _text(_signed_in(personas.clinician_a).get(MFA))
    codes = page.index("Lost your phone? Use a recovery code")
    admin = page.index(
        "If you have no recovery code, ask a clinic administrator to reset your second factor."
    )
    assert codes < admin


def test_with_no_recovery_codes_left_an_administrator_is_named(personas):
    TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    page = _text(_signed_in(personas.clinician_a).get(MFA))
    assert "Use a recovery code" not in page
    assert (
        "Lost your phone, with no recovery codes left? Ask a clinic administrator to reset your second factor."
        in page
    )


OPERATOR = (
    "your clinic has no other administrator to reset your second factor, so ask whoever runs your KetaCare "
    "installation for a one-time recovery code (they make one with the command “ketacare recovery-code” "
    "and your e-mail address)."
)


def test_the_only_administrator_is_sent_to_whoever_runs_the_installation(personas):
    TOTPDevice.objects.create(user=personas.admin_a, name="app", confirmed=True)
    issue_recovery_codes(user=personas.admin_a)
    page = _text(_signed_in(personas.admin_a).get(MFA))
    assert f"If you have no recovery code, {OPERATOR}" in page
    assert "ask a clinic administrator" not in page
    # A clinician whose clinic has no administrator at all is told the same.
    TOTPDevice.objects.create(user=personas.clinician_b, name="app", confirmed=True)
    page = _text(_signed_in(personas.clinician_b).get(MFA))
    assert f"Lost your phone, with no recovery codes left? {OPERATOR[:1].upper()}{OPERATOR[1:]}" in page


def test_a_second_active_administrator_is_the_one_to_ask(personas):
    TOTPDevice.objects.create(user=personas.admin_a, name="app", confirmed=True)
    other = User.objects.create_user("admin.two@example.org", None, full_name="Admin Two")
    membership = StaffMembership.objects.create(user=other, clinic=personas.clinic_a, role="clinic_admin")
    assert "Ask a clinic administrator to reset" in _text(_signed_in(personas.admin_a).get(MFA))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert "whoever runs your KetaCare installation" in _text(_signed_in(personas.admin_a).get(MFA))


def test_the_operators_command_named_on_the_page_lets_the_administrator_in(personas):
    TOTPDevice.objects.create(user=personas.admin_a, name="app", confirmed=True)
    client = _signed_in(personas.admin_a)
    page = _text(client.get(MFA))
    # The installation's own command, as everywhere else: no manage.py, which an install may not have.
    # tests/cli/test_cli_recovery_code.py runs the command itself.
    assert "“ketacare recovery-code”" in page and "manage.py" not in page
    user, code = issue_operator_recovery_code(email=personas.admin_a.email.upper())
    assert user == personas.admin_a and re.fullmatch(r"[a-z2-7]{8}", code)
    response = client.post(MFA, {"recovery_code": code})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    # Once only; and the audit row names the operator, not the administrator.
    refused = _signed_in(personas.admin_a).post(MFA, {"recovery_code": code})
    assert refused.status_code == 400 and "That recovery code did not work" in _text(refused)
    row = AccessEvent.objects.get(object_type="recovery_code", role="operator")
    assert (row.action, row.user_email, row.object_id) == ("write", "", str(personas.admin_a.public_id))


# --- The invitation's expiry ----------------------------------------------------------------------


def test_the_invitation_page_gives_the_expiry_on_the_clinics_clock_like_the_staff_page(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    # 15:34 UTC on 7 December: the link ends 48 hours later, 10:34 on 9 December in New York.
    with time_machine.travel(dt.datetime(2026, 12, 7, 15, 34, tzinfo=dt.UTC), tick=False):
        admin = login(Client(), personas.admin_a)
        with django_capture_on_commit_callbacks(execute=True):
            admin.post(
                reverse("clinics:staff_invite"),
                {"email": "nina@example.org", "role": "nurse", "clinics": [str(personas.clinic_a.public_id)]},
            )
        staff_page = _text(admin.get(reverse("clinics:staff")))
        link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
        page = _text(Client().get(link))
    assert "Pending until Wed 9 Dec 2026, 10:34" in staff_page
    assert "The link works once and expires Wed 9 Dec 2026, 10:34 (New York time)." in page
    assert "UTC" not in page and "15:34" not in page
