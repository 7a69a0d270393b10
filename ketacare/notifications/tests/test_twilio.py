"""Text messages through Twilio (KETACARE_SMS_BACKEND=twilio): the adapter sends real HTTP to a local
stand-in for Twilio's REST API on 127.0.0.1; the inbound STOP/START webhook is refused without a valid
X-Twilio-Signature (HMAC-SHA1 with the auth token over the URL and the sorted fields) and is the only
form post exempt from CSRF (docs/decisions/0020)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.notifications.channels import (
    ConsoleSmsBackend,
    TwilioSmsBackend,
    sms_backend,
    twilio_signature,
    valid_twilio_signature,
)
from ketacare.notifications.models import Delivery
from ketacare.notifications.services import deliver, retry_failed_deliveries, set_preferences

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)  # 14:00 in New York, A1's zone
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
SENDER = "+15557770000"
BASE = "https://clinic.example.org"


class _Twilio(BaseHTTPRequestHandler):
    """Twilio's Messages endpoint, as far as the adapter uses it: records each request, answers as told."""

    received: list[dict[str, Any]] = []
    answers: list[tuple[int, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        _Twilio.received.append(
            {"path": self.path, "authorization": self.headers["Authorization"], "form": parse_qs(body)}
        )
        status, answer = _Twilio.answers.pop(0) if _Twilio.answers else (201, {"sid": "SM" + "0" * 32})
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def twilio(settings: Any) -> Iterator[Any]:
    _Twilio.received, _Twilio.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Twilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KETACARE_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = SID, TOKEN, SENDER
    settings.TWILIO_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.PUBLIC_BASE_URL = BASE
    yield _Twilio
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _empty_sms_outbox() -> None:
    ConsoleSmsBackend.outbox.clear()


def _sms_on(patient: Any, phone: str = "+1 (555) 0142") -> None:
    set_preferences(
        patient=patient,
        push=False,
        sms=True,
        email=False,
        phone=phone,
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(8, 0),
    )


def _send(capture: Any, patient: Any, **kwargs: Any) -> list[Delivery]:
    with capture(execute=True):
        deliveries = deliver(
            patient=patient, kind="checkin_prompt", url=f"{BASE}/me/checkin/", now=DAY, **kwargs
        )
    for delivery in deliveries:
        delivery.refresh_from_db()
    return deliveries


def test_the_console_backend_is_the_default_and_twilio_is_chosen_by_the_environment(
    twilio: Any, settings: Any
) -> None:
    assert isinstance(sms_backend(), TwilioSmsBackend)
    settings.KETACARE_SMS_BACKEND = "console"
    assert isinstance(sms_backend(), ConsoleSmsBackend)


def test_a_text_is_posted_to_twilios_messages_api(
    personas: Any, twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_on(personas.a1)
    (delivery,) = _send(django_capture_on_commit_callbacks, personas.a1)
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    (request,) = twilio.received
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["form"] == {
        "To": ["+15550142"],
        "From": [SENDER],
        "Body": [f"KetaCare: you have a check-in waiting. {BASE}/me/checkin/ Reply STOP to stop texts."],
    }
    assert ConsoleSmsBackend.outbox == [], "nothing goes to the console when Twilio is chosen"


def test_a_messaging_service_sends_in_place_of_a_number(
    personas: Any, twilio: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TWILIO_FROM = "MG" + "f" * 32
    _sms_on(personas.a1)
    _send(django_capture_on_commit_callbacks, personas.a1)
    form = twilio.received[0]["form"]
    assert form["MessagingServiceSid"] == ["MG" + "f" * 32] and "From" not in form


def test_a_refusal_is_logged_without_the_number_and_retried(
    personas: Any, twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_on(personas.a1)
    twilio.answers = [(503, {"code": 20503, "message": "Service unavailable"})]
    (delivery,) = _send(django_capture_on_commit_callbacks, personas.a1)
    assert (delivery.status, delivery.reason) == ("failed", "SMS provider refused (HTTP 503, Twilio 20503)")
    (retried,) = retry_failed_deliveries(now=DAY)
    assert (retried.status, retried.attempts) == ("sent", 2) and len(twilio.received) == 2


def test_a_number_that_texted_stop_to_twilio_is_stopped_here_too(
    personas: Any, twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_on(personas.a1)
    twilio.answers = [(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})]
    (refused,) = _send(django_capture_on_commit_callbacks, personas.a1)
    assert refused.status == "failed" and "Twilio 21610" in refused.reason
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.sms_stopped_at is not None
    (held,) = _send(django_capture_on_commit_callbacks, personas.a1, dedupe_key="next")
    assert (held.status, held.reason) == ("held", "the patient texted STOP") and len(twilio.received) == 1


def test_twilio_out_of_reach_is_a_failed_delivery(
    personas: Any, twilio: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.TWILIO_API_URL = f"http://127.0.0.1:{port}"
    _sms_on(personas.a1)
    (delivery,) = _send(django_capture_on_commit_callbacks, personas.a1)
    assert (delivery.status, delivery.reason) == ("failed", "SMS provider not reached (ConnectionError)")


def test_the_signature_is_twilios_documented_hmac_sha1() -> None:
    # The example of Twilio's "validating requests" documentation (auth token 12345).
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert valid_twilio_signature(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
    # Twilio may have signed the address with its port: accepted either way.
    assert valid_twilio_signature(
        "https://mycompany.com:443/myapp.php?foo=1&bar=2", params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345"
    )
    assert not valid_twilio_signature(
        url, {**params, "Digits": ["1235"]}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345"
    )
    assert not valid_twilio_signature(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "54321")
    assert not valid_twilio_signature(url, params, "", "12345")


def _inbound(client: Client, fields: dict[str, str], signature: str | None) -> Any:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(reverse("notifications:twilio_inbound"), fields, headers=headers)


def _signed(fields: dict[str, str], token: str = TOKEN) -> str:
    url = BASE + reverse("notifications:twilio_inbound")
    return twilio_signature(url, {k: [v] for k, v in fields.items()}, token)


def test_a_signed_stop_and_start_from_twilio_change_the_patients_texts(
    personas: Any, twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _sms_on(personas.a1)
    # A browser-less caller: CSRF is enforced as in production, and this one route is exempt.
    client = Client(enforce_csrf_checks=True)
    stop = {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": SID,
        "From": "+15550142",
        "To": SENDER,
        "Body": "Stop",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _inbound(client, stop, _signed(stop))
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.sms_stopped_at is not None
    # Twilio confirms a STOP itself (and would refuse ours): nothing is sent from here.
    assert twilio.received == [] and not Delivery.objects.filter(kind="sms_stopped").exists()
    (held,) = _send(django_capture_on_commit_callbacks, personas.a1)
    assert held.reason == "the patient texted STOP"

    start = {**stop, "MessageSid": "SM" + "2" * 32, "Body": "START"}
    assert _inbound(client, start, _signed(start)).status_code == 200
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.sms_stopped_at is None


@pytest.mark.parametrize(
    "forge",
    ["none", "empty", "other token", "other fields", "other address"],
)
def test_an_inbound_text_without_twilios_valid_signature_is_refused(
    personas: Any, twilio: Any, forge: str
) -> None:
    _sms_on(personas.a1)
    stop = {"From": "+15550142", "To": SENDER, "Body": "STOP", "AccountSid": SID}
    signature = {
        "none": None,
        "empty": "",
        "other token": _signed(stop, token="a-guessed-token"),
        "other fields": _signed({**stop, "From": "+15550199"}),
        "other address": twilio_signature(
            "https://evil.example.org/sms/twilio/inbound/", {k: [v] for k, v in stop.items()}, TOKEN
        ),
    }[forge]
    response = _inbound(Client(enforce_csrf_checks=True), stop, signature)
    assert response.status_code == 403 and "X-Twilio-Signature" in response.content.decode()
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.sms_stopped_at is None


def test_the_webhook_refuses_everything_when_twilio_is_not_the_backend(personas: Any, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_AUTH_TOKEN = TOKEN  # set, but the console backend is chosen
    _sms_on(personas.a1)
    stop = {"From": "+15550142", "Body": "STOP"}
    assert _inbound(Client(), stop, _signed(stop)).status_code == 403
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.sms_stopped_at is None


def test_only_the_webhook_is_exempt_from_csrf(personas: Any, twilio: Any) -> None:
    client = login(Client(enforce_csrf_checks=True), personas.a1.user)
    refused = client.post(
        reverse("notifications:preferences"), {"email": "on", "quiet_start": "21:00", "quiet_end": "08:00"}
    )
    assert refused.status_code == 403, "a signed-in form post without its CSRF token is refused"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "KETACARE_TWILIO_ACCOUNT_SID, KETACARE_TWILIO_AUTH_TOKEN and KETACARE_TWILIO_FROM"),
        ({"KETACARE_TWILIO_ACCOUNT_SID": "AC123"}, "KETACARE_TWILIO_ACCOUNT_SID: AC followed by 32"),
        ({"KETACARE_TWILIO_FROM": "555-0100"}, "KETACARE_TWILIO_FROM: a phone number in +E.164 form"),
        ({"KETACARE_TWILIO_API_URL": "http://api.example.org"}, "KETACARE_TWILIO_API_URL: an https address"),
    ],
    ids=["missing", "sid", "sender", "plain http"],
)
def test_a_bad_twilio_setting_stops_the_start_up_naming_the_variable(
    env: dict[str, str], named: str, tmp_path: Any
) -> None:
    import os
    import subprocess
    import sys

    complete = {
        "KETACARE_TWILIO_ACCOUNT_SID": SID,
        "KETACARE_TWILIO_AUTH_TOKEN": TOKEN,
        "KETACARE_TWILIO_FROM": SENDER,
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_TWILIO_", "KETACARE_SMS_"))}
    chosen = complete | env if env else {}
    result = subprocess.run(
        [sys.executable, "-c", "import ketacare.settings"],
        env=base | {"KETACARE_DATA_DIR": str(tmp_path), "KETACARE_SMS_BACKEND": "twilio"} | chosen,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and named in result.stderr
