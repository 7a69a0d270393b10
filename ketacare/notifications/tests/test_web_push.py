"""Web Push for real, up to the transport: the payload is encrypted (aes128gcm) for the subscriber's keys
and signed with the server's VAPID key; a local endpoint stands in for the push service, and the test
decrypts what reached it with the subscriber's private key and checks the signature."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse

from ketacare.notifications.channels import vapid_public_key
from ketacare.notifications.models import PushSubscription
from ketacare.notifications.services import deliver

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _PushService(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _PushService.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(_PushService.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def push_service() -> Any:
    _PushService.received, _PushService.status = [], 201
    server = HTTPServer(("127.0.0.1", 0), _PushService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


def test_a_push_is_encrypted_for_the_subscriber_and_signed_with_vapid(
    personas: Any, client_for: Any, push_service: str, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = ec.generate_private_key(ec.SECP256R1())
    auth_secret = os.urandom(16)
    subscription = {
        "endpoint": f"{push_service}/push/abc",
        "keys": {
            "p256dh": _b64(
                subscriber.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
            ),
            "auth": _b64(auth_secret),
        },
    }
    response = client_for("a1").post(
        reverse("notifications:push_subscription"), json.dumps(subscription), content_type="application/json"
    )
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = deliver(
            patient=personas.a1, kind="checkin_prompt", url="https://k.example/me/checkin/", now=DAY
        )
    for delivery in deliveries:
        delivery.refresh_from_db()
    assert {(d.channel, d.status) for d in deliveries} == {("push", "sent"), ("email", "sent")}

    headers, body = _PushService.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert b"check-in" not in body, "the payload travels encrypted"
    plain = http_ece.decrypt(body, private_key=subscriber, auth_secret=auth_secret, version="aes128gcm")
    assert json.loads(plain) == {
        "title": "KetaCare",
        "body": "KetaCare: you have a check-in waiting.",
        "url": "https://k.example/me/checkin/",
    }

    # VAPID (RFC 8292): "vapid t=<JWT>, k=<server public key>", the JWT signed ES256 by that key.
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_public_key()
    head, claims, signature = fields["t"].split(".")
    assert json.loads(_unb64(head))["alg"] == "ES256"
    claim = json.loads(_unb64(claims))
    assert claim["aud"] == push_service and claim["sub"].startswith("mailto:")
    raw = _unb64(signature)
    server_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"]))
    server_key.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_a_subscription_the_push_service_dropped_is_not_used_again(
    personas: Any, client_for: Any, push_service: str, django_capture_on_commit_callbacks: Any
) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    client_for("a1").post(
        reverse("notifications:push_subscription"),
        {
            "endpoint": f"{push_service}/push/gone",
            "p256dh": _b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
            "auth": _b64(os.urandom(16)),
        },
    )
    _PushService.status = 410
    with django_capture_on_commit_callbacks(execute=True):
        failed = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY, channels=["push"])
    failed[0].refresh_from_db()
    assert failed[0].status == "failed" and "410" in failed[0].reason
    assert PushSubscription.objects.get().revoked_at is not None
    held = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=DAY, channels=["push"])
    assert held[0].status == "held" and held[0].reason == "no address for this channel"


def test_a_malformed_subscription_is_refused(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    url = reverse("notifications:push_subscription")
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert client.post(url, {"endpoint": "ftp://x", "p256dh": "a", "auth": "b"}).status_code == 400
    assert not PushSubscription.objects.exists()
