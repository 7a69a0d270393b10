"""Application logs hold no patient data, passwords, tokens or OTP codes (security.md #7).

A representative flow runs through the Django test client with the root logger at DEBUG (the
named loggers keep their configured levels, as in production with KETACARE_LOG_LEVEL=DEBUG):
failed and successful logins, a wrong and a right TOTP code, patient and staff pages, a check-in
with a note (form and API), a journal entry, 404s on made-up patient ids, and exports. Everything
that reaches a log handler (pytest's caplog and the console handler of settings.LOGGING) is then
searched for the secrets and the patient's data.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PATIENT_PASSWORD = "Log-scan patient pass 2026"  # noqa: S105 - test persona only
STAFF_PASSWORD = "Log-scan staff password 2026"  # noqa: S105 - test persona only
WRONG_PASSWORD = "Wrong-guess-password-77"  # noqa: S105 - test persona only
NOTE = "LogCanaryNote: felt dizzy after the walk"
API_NOTE = "LogCanaryApiNote: headache at noon"
JOURNAL = "LogCanaryJournal: the garden helped today"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """Point the console handler of settings.LOGGING at a buffer for the test."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if type(h) is logging.StreamHandler and h.__class__.__module__ == "logging"
    ]
    assert handlers, "the root logger has no console handler (settings.LOGGING changed?)"
    buffer = io.StringIO()
    # Swapped by hand, not with setStream(): that flushes the old stream, which an earlier test that
    # re-applied LOGGING under pytest's capture may have left pointing at a closed capture file.
    previous = [h.stream for h in handlers]
    for h in handlers:
        h.stream = buffer
    levels = [h.level for h in handlers]
    for h in handlers:
        h.setLevel(logging.DEBUG)
    yield buffer
    for h, stream, level in zip(handlers, previous, levels, strict=True):
        h.stream = stream
        h.setLevel(level)


def _totp(user: Any, *, offset: int = 0) -> str:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def _login(client: Client, email: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def _secrets(client: Client) -> dict[str, str]:
    found = {}
    for name in ("sessionid", "csrftoken"):
        if name in client.cookies and client.cookies[name].value:
            found[f"{name} cookie"] = client.cookies[name].value
    return found


def test_a_representative_flow_leaves_no_patient_data_or_secret_in_the_logs(
    personas: Any, caplog: pytest.LogCaptureFixture, console: io.StringIO
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    caplog.set_level(logging.DEBUG)  # the root logger
    patient, staff = personas.a1, personas.clinician_a
    patient.user.set_password(PATIENT_PASSWORD)
    patient.user.save()
    staff.set_password(STAFF_PASSWORD)
    staff.save()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    secrets: dict[str, str] = {
        "patient password": PATIENT_PASSWORD,
        "staff password": STAFF_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "check-in note": NOTE,
        "API check-in note": API_NOTE,
        "journal text": JOURNAL,
        "patient full name": patient.full_name,
        "patient surname": patient.full_name.split()[-1],
        "patient date of birth": patient.date_of_birth.isoformat(),
        "medical record number": patient.medical_record_number,
        "patient e-mail": patient.user.email,
        "patient public id": str(patient.public_id),
    }

    # The patient: a wrong then the right password, pages, a check-in, a journal entry, exports.
    me = Client()
    assert _login(me, patient.user.email, WRONG_PASSWORD).status_code == 200
    assert _login(me, patient.user.email, PATIENT_PASSWORD).status_code == 302
    secrets |= {f"patient {k}": v for k, v in _secrets(me).items()}
    for name in ("companion:home", "checkins:checkin", "journal:journal", "interop:records"):
        assert me.get(reverse(name)).status_code == 200
    secrets["patient csrf token"] = me.get(reverse("journal:journal")).context["csrf_token"]
    secrets["patient csrf token"] = str(secrets["patient csrf token"])
    me.post(
        reverse("checkins:checkin"),
        {"idempotency_key": "log-1", "action": "submit", "mood": "6", "note": NOTE},
    )
    me.post(
        reverse("journal:journal"), {"idempotency_key": "log-2", "text": JOURNAL, "shared_with_clinic": "on"}
    )
    api = me.post(
        "/api/v1/me/checkins",
        {"idempotency_key": "log-3", "reports": [], "mood": 5, "note": API_NOTE},
        content_type="application/json",
    )
    assert api.status_code in (200, 201), api.content
    bad = me.post("/api/v1/me/checkins", {"note": API_NOTE, "mood": 99}, content_type="application/json")
    assert bad.status_code in (400, 422)
    for name in ("interop:records_csv", "interop:records_fhir", "interop:records_pdf"):
        assert me.get(reverse(name)).status_code == 200
    assert NOTE in me.get(reverse("interop:records_csv")).content.decode()

    # The clinician: a wrong password, the right one, a wrong then the right TOTP code, the records.
    clinic = Client()
    assert _login(clinic, staff.email, WRONG_PASSWORD).status_code == 200
    assert _login(clinic, staff.email, STAFF_PASSWORD).status_code == 302
    wrong_code = _totp(staff, offset=7)
    right_code = _totp(staff)
    secrets |= {"wrong TOTP code": wrong_code, "TOTP code": right_code}
    assert clinic.post(reverse("accounts:mfa"), {"code": wrong_code}).status_code == 400
    TOTPDevice.objects.get(user=staff).throttle_reset()  # a failure throttles the next try for a second
    assert clinic.post(reverse("accounts:mfa"), {"code": right_code}).status_code == 302
    secrets |= {f"staff {k}": v for k, v in _secrets(clinic).items()}
    pid = str(patient.public_id)
    for name in (
        "patients:detail",
        "checkins:staff_checkins",
        "journal:staff_journal",
        "outcomes:timeline",
        "intake:page",
    ):
        page = clinic.get(reverse(name, kwargs={"patient_id": pid}))
        assert page.status_code == 200, name
    assert NOTE in clinic.get(reverse("checkins:staff_checkins", kwargs={"patient_id": pid})).content.decode()
    assert clinic.get(reverse("patients:list"), {"q": patient.full_name}).status_code == 200
    # Denied and missing objects (these go through the request logger's 404 path).
    assert (
        clinic.get(reverse("patients:detail", kwargs={"patient_id": str(personas.b1.public_id)})).status_code
        == 404
    )
    assert clinic.get(reverse("patients:detail", kwargs={"patient_id": str(uuid.uuid4())})).status_code == 404
    assert clinic.get(f"/api/v1/patients/{personas.b1.public_id}").status_code == 404
    assert clinic.get(reverse("outcomes:csv")).status_code == 200

    # Logging out ends both sessions (their ids are still secrets after the fact).
    me.post(reverse("accounts:logout"))
    clinic.post(reverse("accounts:logout"))

    captured = "\n".join(
        [
            r.getMessage() + " " + str(r.args) + " " + str(getattr(r, "exc_text", "") or "")
            for r in caplog.records
        ]
        + [caplog.text, console.getvalue()]
    )
    # The capture works: django-axes logs each failed login (with the credentials masked).
    assert "login failure" in console.getvalue() and "login failure" in caplog.text
    leaks = [what for what, value in secrets.items() if value and value in captured]
    assert not leaks, f"the logs carry: {leaks}\n--- logs ---\n{captured[:4000]}"


def test_a_staff_password_guessing_run_logs_no_password(
    personas: Any, caplog: pytest.LogCaptureFixture, console: io.StringIO
) -> None:
    # Enough failures to trip django-axes' lockout, whose warnings name the attempt.
    caplog.set_level(logging.DEBUG)
    guesses = [f"Guess-number-{n}-secret" for n in range(8)]
    client = Client()
    for guess in guesses:
        _login(client, personas.clinician_a.email, guess)
    captured = caplog.text + console.getvalue()
    assert not [g for g in guesses if g in captured], captured[:2000]
