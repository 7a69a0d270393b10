"""Signed webhooks for new and escalated alerts, delivered to a local receiver on 127.0.0.1.

The receiver is a stand-in for a clinic's integration engine (a plain HTTP server in a thread). The
task queue runs in its synchronous mode, so a delivery happens when the alert's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.services import escalate_overdue_alerts, raise_alert, raise_clinic_alert
from ketacare.interop.models import WebhookDelivery, WebhookEndpoint
from ketacare.interop.webhooks import MAX_ATTEMPTS, backoff_s, deliver_pending_webhooks, deliver_webhook

pytestmark = pytest.mark.django_db
SECRET = "s3cret-" + "x" * 40


class Receiver:
    """Records each POST; answers the statuses queued in ``answers`` (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  # the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": self.headers, "body": body})  # case-insensitive
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ketacare"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.KETACARE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    stand_in = Receiver()
    yield stand_in
    stand_in.close()


@pytest.fixture
def admin(personas: Any) -> Client:
    return login(Client(), personas.admin_a)


def _register(admin: Client, url: str, events: str = "alert.created alert.escalated") -> dict[str, Any]:
    answer = admin.post("/api/v1/clinic/webhooks", {"url": url, "secret": SECRET, "events": events})
    assert answer.status_code == 201, answer.content
    body: dict[str, Any] = answer.json()
    assert "secret" not in body
    return body


def _raise(patient: Any, capture: Any, title: str = "Chest pain reported") -> Alert:
    with capture(execute=True), transaction.atomic():
        return raise_alert(patient=patient, source="red_flag_checkin", severity="urgent", title=title)


def _verify(request: dict[str, Any]) -> dict[str, Any]:
    """What a receiver does: check the signature over timestamp and body, then read the JSON."""
    fields = dict(part.split("=", 1) for part in request["headers"]["KetaCare-Signature"].split(","))
    expected = hmac.new(
        SECRET.encode(), f"{fields['t']}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    assert abs(int(fields["t"]) - timezone.now().timestamp()) < 600
    payload: dict[str, Any] = json.loads(request["body"])
    return payload


def test_a_new_alert_is_delivered_signed_with_ids_and_severity_only(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    hook = _register(admin, receiver.url)
    alert = _raise(personas.a1, django_capture_on_commit_callbacks)
    (request,) = receiver.received
    payload = _verify(request)
    assert request["headers"]["KetaCare-Event"] == "alert.created"
    assert payload["type"] == "alert.created" and payload["id"] == request["headers"]["KetaCare-Delivery"]
    assert payload["data"] == {
        "alert_id": str(alert.public_id),
        "patient_id": str(personas.a1.public_id),
        "clinic_id": str(personas.clinic_a.public_id),
        "severity": "urgent",
    }
    text = request["body"].decode()
    for private in (personas.a1.full_name, "Chest pain", personas.a1.user.email, "red_flag"):
        assert private not in text
    log = admin.get(f"/api/v1/clinic/webhooks/{hook['public_id']}/deliveries").json()
    (entry,) = log["results"]
    assert entry["state"] == "delivered" and entry["attempts"] == 1 and entry["last_status_code"] == 200


def test_an_escalation_is_delivered_once_and_a_repeat_cause_sends_nothing(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _register(admin, receiver.url)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        raise_alert(
            patient=personas.a1, source="red_flag_checkin", severity="urgent", title="T", dedupe_key="k1"
        )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        raise_alert(
            patient=personas.a1, source="red_flag_checkin", severity="urgent", title="T", dedupe_key="k1"
        )
    assert len(receiver.received) == 1  # the same cause is the same alert: one event
    later = timezone.now() + dt.timedelta(days=2)
    for _ in range(2):  # the escalation job running twice escalates (and delivers) once
        with django_capture_on_commit_callbacks(execute=True):
            escalate_overdue_alerts(now=later)
    assert [r["headers"]["KetaCare-Event"] for r in receiver.received] == ["alert.created", "alert.escalated"]
    assert _verify(receiver.received[1])["type"] == "alert.escalated"


def test_a_failed_delivery_is_retried_with_back_off_until_it_lands(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    hook = _register(admin, receiver.url)
    receiver.answers = [500, 503]
    _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at >= timezone.now() + dt.timedelta(seconds=backoff_s(1) - 5)
    assert Schedule.objects.filter(
        func="ketacare.interop.webhooks.deliver_webhook", schedule_type="O"
    ).exists()
    assert deliver_pending_webhooks() == {}  # not due yet
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=backoff_s(1) + 1)):
        assert deliver_pending_webhooks() == {"retry": 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 503
    assert delivery.next_attempt_at - timezone.now() > dt.timedelta(seconds=backoff_s(1) + backoff_s(2) - 10)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=backoff_s(1) + backoff_s(2) + 5)):
        assert deliver_webhook(delivery.pk) == "delivered"
        assert deliver_webhook(delivery.pk) == "skipped"  # a second run of the same job sends nothing
    payloads = [_verify(r) for r in receiver.received]
    assert len(payloads) == 3 and len({p["id"] for p in payloads}) == 1  # one delivery id: receivers dedupe
    log = admin.get(f"/api/v1/clinic/webhooks/{hook['public_id']}/deliveries").json()["results"]
    assert log[0]["state"] == "delivered" and log[0]["attempts"] == 3


def test_an_unreachable_receiver_gives_up_after_the_last_attempt(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _register(admin, receiver.url)
    receiver.answers = [500] * MAX_ATTEMPTS
    _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    for _ in range(MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert deliver_pending_webhooks() == {}


def test_only_the_alerts_clinic_and_subscribed_live_endpoints_receive(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    escalations_only = _register(admin, receiver.url, events="alert.escalated")
    _raise(personas.b1, django_capture_on_commit_callbacks)  # clinic B: not clinic A's receiver
    _raise(personas.a1, django_capture_on_commit_callbacks)  # subscribed to escalations only
    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    live = _register(admin, receiver.url)
    assert admin.delete(f"/api/v1/clinic/webhooks/{live['public_id']}").status_code == 204
    _raise(personas.a2, django_capture_on_commit_callbacks)
    assert receiver.received == []
    assert WebhookEndpoint.objects.get(public_id=escalations_only["public_id"]).disabled_at is None


def test_registration_is_for_the_clinic_admin_with_a_good_url_and_secret(
    personas: Any, admin: Client
) -> None:
    clinician = login(Client(), personas.clinician_a)
    assert (
        clinician.post(
            "/api/v1/clinic/webhooks", {"url": "https://ehr.example.org/hook", "secret": SECRET}
        ).status_code
        == 404
    )
    assert login(Client(), personas.a1.user).get("/api/v1/clinic/webhooks").status_code == 404
    for data, field in [
        ({"url": "ftp://ehr.example.org/hook", "secret": SECRET}, "url"),
        ({"url": "http://ehr.example.org/hook", "secret": SECRET}, "url"),  # plain http: not here
        ({"url": "https://user:pw@ehr.example.org/hook", "secret": SECRET}, "url"),
        ({"url": "https://ehr.example.org/hook", "secret": "short"}, "secret"),
        ({"url": "https://ehr.example.org/hook", "secret": SECRET, "events": "alert.deleted"}, "events"),
    ]:
        answer = admin.post("/api/v1/clinic/webhooks", data)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, data
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_at_delivery_unless_allowed(
    personas: Any, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    hook = _register(admin, "https://127.0.0.1:9/hook")  # https, but loopback: nothing is sent
    _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and "public address" in delivery.last_error
    assert delivery.endpoint.public_id.hex == hook["public_id"].replace("-", "")


def test_a_clinic_level_alert_is_delivered_without_a_patient(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _register(admin, receiver.url)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        alert = raise_clinic_alert(
            clinic=personas.clinic_a,
            source="register_count",
            severity="urgent",
            title="Count difference",
            dedupe_key="count:test",
        )
    (request,) = receiver.received
    assert _verify(request)["data"] == {
        "alert_id": str(alert.public_id),
        "patient_id": None,
        "clinic_id": str(personas.clinic_a.public_id),
        "severity": "urgent",
    }


def _resolver(monkeypatch: Any, answers: dict[str, list[str]]) -> list[str]:
    """Names resolve to the next of their addresses (the last repeats), like a rebinding DNS server."""
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:  # IP literals, the test server
            return real(host, port, *args, **kwargs)
        asked.append(host)
        addresses = answers[host]
        return real(addresses[min(len(asked) - 1, len(addresses) - 1)], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_the_delivery_connects_to_the_address_it_checked_not_a_second_answer(
    personas: Any,
    receiver: Receiver,
    admin: Client,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    port = receiver.server.server_address[1]
    _register(admin, f"http://ehr.clinic.example:{port}/hooks/ketacare")
    # First answer: the receiver; any later answer: an address that goes nowhere.
    asked = _resolver(monkeypatch, {"ehr.clinic.example": ["127.0.0.1", "10.255.255.1"]})
    _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered", delivery.last_error
    assert asked == ["ehr.clinic.example"]  # resolved once, connected to that answer
    (request,) = receiver.received
    assert request["headers"]["Host"] == f"ehr.clinic.example:{port}"  # the name, for the receiver
    assert _verify(request)["type"] == "alert.created"


def test_a_name_with_any_internal_address_is_refused_when_private_hosts_are_not_allowed(
    personas: Any, admin: Client, django_capture_on_commit_callbacks: Any, monkeypatch: Any, settings: Any
) -> None:
    from ketacare.interop.webhooks import _resolve

    settings.KETACARE_WEBHOOK_ALLOW_PRIVATE = False
    _resolver(monkeypatch, {"mixed.example": ["10.0.0.7"], "public.example": ["93.184.216.34"]})
    assert _resolve("mixed.example", 443) == "the host does not resolve to a public address"
    assert _resolve("public.example", 443) == ("93.184.216.34", 443)
    assert _resolve("no-such-host.invalid", 443) == "the host could not be resolved"


def test_a_name_that_answers_public_then_internal_never_reaches_the_internal_address(
    personas: Any,
    receiver: Receiver,
    admin: Client,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
    settings: Any,
) -> None:
    import socket

    port = receiver.server.server_address[1]
    _register(admin, f"http://ehr.clinic.example:{port}/hooks/ketacare")  # registered while allowed
    settings.KETACARE_WEBHOOK_ALLOW_PRIVATE = False
    # DNS rebinding: public for the check, the internal receiver for any later lookup.
    asked = _resolver(monkeypatch, {"ehr.clinic.example": ["93.184.216.34", "127.0.0.1"]})
    real_connect = socket.create_connection
    connected: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        connected.append(address)
        if address[0] != "127.0.0.1":  # no traffic leaves the machine in a test
            raise ConnectionRefusedError("test: outside address")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []  # the internal address got nothing
    assert asked == ["ehr.clinic.example"] and connected == [("93.184.216.34", port)]
    assert delivery.state == "pending" and "ConnectionRefusedError" in delivery.last_error
