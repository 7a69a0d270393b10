"""An unattended screen locks: polls never count as activity; the verified session gets a new id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.middleware import POLL_HEADER, SESSION_SEEN_KEY

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
POLL = {POLL_HEADER: "1", "HX-Request": "true"}


def test_polls_do_not_keep_a_staff_screen_signed_in(personas: Any, client_for: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        client = client_for("clinician_a")
        assert client.get("/clinic/today/").status_code == 200
        for _ in range(15):  # the day view polls every 30 s; a minute at a time here
            traveller.shift(dt.timedelta(minutes=1))
            assert client.get("/clinic/today/", headers=POLL).status_code == 200
        traveller.shift(dt.timedelta(minutes=1, seconds=1))
        expired = client.get("/clinic/today/", headers=POLL)
    assert expired.status_code == 401
    assert expired["HX-Redirect"].endswith("/accounts/login/?expired=1")
    assert client.get("/clinic/today/").status_code == 302  # the session is gone on the server too


def test_a_person_using_the_page_keeps_it_signed_in(personas: Any, client_for: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        client = client_for("clinician_a")
        for _ in range(4):
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get("/clinic/today/").status_code == 200
        traveller.shift(dt.timedelta(minutes=10))
        assert client.get("/clinic/today/", headers=POLL).status_code == 200


def test_the_last_seen_stamp_is_written_at_most_once_a_minute(personas: Any, client_for: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        client = client_for("a1")
        client.get("/me/")
        key = client.session.session_key
        first = SessionStore(session_key=key)[SESSION_SEEN_KEY]
        traveller.shift(dt.timedelta(seconds=30))
        client.get("/me/")
        assert SessionStore(session_key=key)[SESSION_SEEN_KEY] == first
        traveller.shift(dt.timedelta(seconds=31))
        client.get("/me/")
        assert SessionStore(session_key=key)[SESSION_SEEN_KEY] > first


def test_the_pages_of_a_signed_in_user_carry_the_lock_screen(personas: Any, client_for: Any) -> None:
    staff = client_for("clinician_a").get("/clinic/today/").content.decode()
    patient = client_for("a1").get("/me/").content.decode()
    assert f'data-idle-lock-seconds="{settings.SESSION_IDLE_TIMEOUT_STAFF_S}"' in staff
    assert f'data-idle-lock-seconds="{settings.SESSION_IDLE_TIMEOUT_PATIENT_S}"' in patient
    assert 'id="idle-lock"' in staff and "idle-lock.js" in staff
    assert "data-idle-lock-seconds" not in Client().get("/accounts/login/").content.decode()


def test_the_session_id_changes_when_the_second_factor_succeeds(personas: Any) -> None:
    user = personas.clinician_a
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    before = client.session.session_key
    from django_otp.oath import totp

    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post("/accounts/mfa/", {"code": code})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert not SessionStore().exists(before)  # the pre-factor id no longer carries a session
    assert client.get("/clinic/patients/").status_code == 200
