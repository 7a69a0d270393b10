"""Browser, phone-sized: Web Push end to end (docs/decisions/0020). The patient turns notifications on;
Chromium asks the permission, subscribes with the server's VAPID key through its push service and the
page hands the subscription to the server; a notification the server sends (VAPID-signed, encrypted for
that subscription) reaches Chromium, which decrypts it and wakes the service worker.

There is no network here, so Chromium's push service (Google's GCM/FCM) is a local stand-in
(tests/support/push_service.py) for the transport only: Chromium's own switches point it there. The
subscription, its keys, the encryption, the signature and the decryption are Chromium's and the
server's own."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import CHROMIUM, CHROMIUM_ARGS, browser_login
from ketacare.notifications.channels import vapid_public_key
from ketacare.notifications.models import Delivery, PushSubscription
from ketacare.notifications.services import deliver
from tests.support.push_service import PushServiceStandIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "push-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)  # 14:00 in New York: outside A1's quiet hours
TURN_ON = "Turn on notifications on this phone"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def push_service() -> Iterator[PushServiceStandIn]:
    stand_in = PushServiceStandIn().start()
    yield stand_in
    stand_in.stop()


def _sign_in(page: Any, live_server: Any, patient: Any) -> None:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    browser_login(page, live_server.url, patient.user.email, PASSWORD)


def test_a_push_subscription_made_in_chromium_receives_a_push_it_decrypts(
    live_server: Any,
    browser: Any,
    personas: Any,
    push_service: PushServiceStandIn,
    tmp_path: Any,
    artifacts_dir: Any,
) -> None:
    # A profile on disk: Chromium keeps push subscriptions out of incognito profiles (Playwright's
    # ordinary contexts), where pushManager.subscribe fails with "permission denied".
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *push_service.chromium_args()],
        **PHONE,
    )
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    _sign_in(page, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/notifications/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name=TURN_ON).click()
    page.get_by_text("Notifications are on for this phone.").wait_for(timeout=30000)
    assert page.locator("#id_push").is_checked()
    page.screenshot(path=str(artifacts_dir / "push-turned-on-phone.png"), full_page=True)

    # The subscription Chromium made, as the server stored it.
    subscription = PushSubscription.objects.get(patient=personas.a1, revoked_at__isnull=True)
    (registration,) = push_service.registrations
    assert registration.sender == vapid_public_key(), "Chromium registered the server's VAPID key"
    assert registration.subtype.startswith(f"wp:{live_server.url}/")
    assert subscription.endpoint.startswith("https://") and subscription.endpoint.endswith(
        f"/fcm/send/{registration.token}"
    )
    public_key, auth_secret = _unb64(subscription.p256dh), _unb64(subscription.auth)
    assert len(public_key) == 65 and public_key[0] == 4 and len(auth_secret) == 16
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)  # a point on P-256
    personas.a1.notification_preference.refresh_from_db()
    assert personas.a1.notification_preference.push

    # The transport: the stand-in's address in place of Google's host; the keys stay Chromium's.
    PushSubscription.objects.filter(pk=subscription.pk).update(
        endpoint=f"{push_service.http_url}/fcm/send/{registration.token}"
    )
    page.evaluate(
        "window.pushes = []; navigator.serviceWorker.addEventListener('message', (e) => window.pushes.push(e.data))"
    )
    push_service.wait_for("_connections")  # Chromium is connected to its push service
    # Outside a transaction the change commits at once and the task queue (synchronous in tests) sends it.
    (delivery,) = deliver(
        patient=personas.a1,
        kind="checkin_prompt",
        url=f"{live_server.url}/me/checkin/",
        now=DAY,
        channels=["push"],
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (Delivery.Status.SENT, "")

    # Chromium decrypted it with the subscription's private key and its service worker showed it.
    page.wait_for_function("() => window.pushes.length > 0", timeout=30000)
    assert page.evaluate("window.pushes") == [
        {
            "type": "push",
            "title": "KetaCare",
            "body": "KetaCare: you have a check-in waiting.",
            "url": f"{live_server.url}/me/checkin/",
        }
    ]

    # What the push service received: encrypted (aes128gcm) and VAPID-signed (RFC 8291, 8292).
    (request,) = push_service.pushes
    assert request.headers["content-encoding"] == "aes128gcm" and b"check-in" not in request.body
    assert int(request.headers["ttl"]) > 0
    scheme, _, params = request.headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == vapid_public_key()
    head, claims, signature = fields["t"].split(".")
    assert json.loads(_unb64(head))["alg"] == "ES256"
    assert json.loads(_unb64(claims))["aud"] == push_service.http_url
    raw = _unb64(signature)
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"])).verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    context.close()


def test_a_refused_permission_is_explained_and_nothing_is_subscribed(
    live_server: Any, browser: Any, personas: Any
) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _sign_in(page, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/notifications/")
    assert page.evaluate("Notification.permission") == "default"
    page.get_by_role("button", name=TURN_ON).click()
    page.get_by_text("Notifications are blocked for this site.").wait_for(timeout=10000)
    assert page.evaluate("Notification.permission") == "denied"
    assert not PushSubscription.objects.exists()
    context.close()
