"""Browser, phone-sized (390x844): the installable companion (docs/decisions/0020) — the manifest and
service worker, pages kept for offline reading, and a check-in made offline that is queued, told as not
sent, and sent exactly once when the connection returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.checkins.models import SymptomCheckin
from tests.support.checkins import make_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pwa-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _patient_context(browser: Any, live_server: Any, patient: Any) -> tuple[Any, Any]:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    return context, page


def _worker_ready(page: Any) -> None:
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null || false", timeout=10000
    )


def test_the_manifest_and_service_worker_make_it_installable_and_keep_pages_offline(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    context, page = _patient_context(browser, live_server, personas.a1)
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{live_server.url}{href}")
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"] == "/me/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert page.request.get(f"{live_server.url}{icon['src']}").ok
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    _worker_ready(page)
    for path in ("/me/learn/", "/me/instructions/"):
        page.goto(f"{live_server.url}{path}")
    page.wait_for_function(
        "caches.open('kc-pages').then(c => c.match('/me/instructions/')).then(r => !!r)", timeout=10000
    )
    kept = page.evaluate(
        "caches.open('kc-pages').then(c => c.keys()).then(ks => ks.map(k => new URL(k.url).pathname))"
    )
    assert "/me/learn/" in kept and "/me/instructions/" in kept
    assert page.get_by_text("Safety rules until they end").is_visible()
    page.screenshot(path=str(artifacts_dir / "pwa-instructions-phone.png"), full_page=True)
    context.close()


def test_an_offline_check_in_is_queued_told_as_not_sent_and_sent_once_on_reconnect(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    context, page = _patient_context(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/checkin/")
    page.wait_for_load_state()
    context.set_offline(True)
    page.locator("#id_mood").fill("5")
    page.get_by_role("button", name="Send check-in").click()
    banner = page.get_by_test_id("offline-outbox")
    banner.wait_for(state="visible")
    text = banner.inner_text()
    assert (
        "Not sent yet" in text
        and "not reached your clinic" in text
        and "Emergencies need a phone call" in text
    )
    assert page.locator("a[href='tel:911']").first.is_visible()
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 0
    queued = page.evaluate("JSON.parse(localStorage.getItem('ketacare.outbox'))")
    assert len(queued) == 1
    key = dict(queued[0]["fields"])["idempotency_key"]
    page.screenshot(path=str(artifacts_dir / "pwa-offline-checkin-queued.png"), full_page=True)

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.get_by_text("has now been sent to your clinic").wait_for(timeout=15000)
    assert page.get_by_role("heading", name="Thank you for checking in").is_visible()
    page.screenshot(path=str(artifacts_dir / "pwa-offline-checkin-sent.png"), full_page=True)
    # Another reconnect and a reload send nothing more.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.goto(f"{live_server.url}/me/")
    page.wait_for_timeout(500)
    assert page.evaluate("JSON.parse(localStorage.getItem('ketacare.outbox'))") == []
    checkins = SymptomCheckin.objects.filter(patient=personas.a1)
    assert checkins.count() == 1 and checkins.get().idempotency_key == key
    context.close()
