"""The clinic admin's webhook pages, through HTTP: register (refused on the field, nothing written), list,
disable, and read the delivery log of real deliveries to a local receiver on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.interop.models import WebhookDelivery, WebhookEndpoint
from ketacare.interop.webhooks import (
    MAX_ATTEMPTS,
    deliver_pending_webhooks,
    deliver_webhook,
    register_webhook,
)
from tests.integration.test_alert_webhooks import Receiver

pytestmark = pytest.mark.django_db
SECRET = "page-secret-" + "q" * 40
LIST = "/clinic/webhooks/"


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.KETACARE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    stand_in = Receiver()
    yield stand_in
    stand_in.close()


@pytest.fixture
def admin(personas: Any) -> Client:
    return login(Client(), personas.admin_a)


def _register(admin: Client, url: str, events: tuple[str, ...] = ("alert.created", "alert.escalated")) -> Any:
    answer = admin.post(LIST, {"url": url, "secret": SECRET, "events": list(events)})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return WebhookEndpoint.objects.order_by("-id").first()


def _raise(patient: Any, capture: Any, *, execute: bool = True, title: str = "Chest pain reported") -> Alert:
    with capture(execute=execute), transaction.atomic():
        return raise_alert(patient=patient, source="red_flag_checkin", severity="urgent", title=title)


def _field_errors(html: str) -> list[str]:
    return re.findall(r'<span class="field-error" role="alert">([^<]*)</span>', html)


def test_the_empty_page_says_what_webhooks_are_for_and_how_to_verify_them(admin: Client) -> None:
    page = admin.get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="webhooks-empty"' in text
    assert "KetaCare-Signature" in text and "HMAC-SHA256" in text and "docs/fhir.md" in text
    assert 'type="checkbox" name="events" value="alert.created"' in text
    assert 'type="checkbox" name="events" value="alert.escalated"' in text
    # A page view is audited (the list names where the clinic's alert events go).
    assert AccessEvent.objects.filter(object_type="webhooks", action="read", outcome="granted").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            {"url": "ftp://ehr.example.org/hook", "secret": SECRET, "events": ["alert.created"]},
            "url",
            "Must be an absolute https:// address",
        ),
        (
            {"url": "https://user:pw@ehr.example.org/h", "secret": SECRET, "events": ["alert.created"]},
            "url",
            "Must not carry a user name or password",
        ),
        (
            {"url": "https://ehr.example.org/hook", "secret": "short", "events": ["alert.created"]},
            "secret",
            "32",
        ),
        ({"url": "https://ehr.example.org/hook", "secret": SECRET}, "events", "event"),
        (
            {"url": "https://ehr.example.org/hook", "secret": SECRET, "events": ["alert.deleted"]},
            "events",
            "",
        ),
        ({"url": "", "secret": SECRET, "events": ["alert.created"]}, "url", ""),
    ],
)
def test_a_refused_registration_is_a_422_on_its_field_and_writes_nothing(
    admin: Client, data: dict[str, Any], field: str, words: str
) -> None:
    before = AccessEvent.objects.filter(action="write").count()
    page = admin.post(LIST, data)
    assert page.status_code == 422
    text = page.content.decode()
    errors = _field_errors(text)
    assert len(errors) == 1 and words in errors[0], errors
    # The error sits in the field's own block (after its last input, before the next field).
    block = text.rsplit(f'name="{field}"', 1)[1].split('<div class="field', 1)[0].split("</fieldset>", 1)[0]
    assert "field-error" in block, f"the error is not on {field}"
    assert not WebhookEndpoint.objects.exists()
    assert AccessEvent.objects.filter(action="write").count() == before
    assert SECRET not in text  # the secret is never sent back, not even into the form


def test_a_registered_webhook_is_listed_with_its_secret_only_as_set(
    personas: Any, admin: Client, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = _register(admin, "https://ehr.example.org/hooks/ketacare", events=("alert.escalated",))
    assert hook.clinic == personas.clinic_a and hook.events == ["alert.escalated"]
    page = admin.get(LIST)
    text = page.content.decode()
    (row,) = re.findall(r'<tr data-testid="webhook-row" data-state="live">.*?</tr>', text, re.S)
    assert "https://ehr.example.org/hooks/ketacare" in row and "alert.escalated" in row
    assert "alert.created" not in row and "<td>set</td>" in row and "No deliveries yet" in row
    assert reverse("interop:webhook", kwargs={"webhook_id": hook.public_id}) in row
    assert SECRET not in text
    assert "Webhook registered" in text
    # Nothing about the endpoint reaches the logs: neither the secret nor the address.
    assert SECRET not in caplog.text and "ehr.example.org" not in caplog.text


def test_disabling_shows_the_state_and_no_more_deliveries_are_queued(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    hook = _register(admin, receiver.url)
    _raise(personas.a1, django_capture_on_commit_callbacks)  # delivered at once
    waiting = _raise(personas.a2, django_capture_on_commit_callbacks, execute=False, title="Waiting")
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get(alert_public_id=waiting.public_id).state == "pending"
    page = admin.get(LIST).content.decode()
    assert (
        "Disable this webhook" in page and "Nothing more is sent to this address" in page
    )  # the confirm text

    answer = admin.post(reverse("interop:webhook_disable", kwargs={"webhook_id": hook.public_id}))
    assert answer.status_code == 302 and answer["Location"] == LIST
    hook.refresh_from_db()
    assert hook.disabled_at is not None
    text = admin.get(LIST).content.decode()
    (row,) = re.findall(r'<tr data-testid="webhook-row" data-state="disabled">.*?</tr>', text, re.S)
    assert "<strong>Disabled</strong>" in row and "Disable this webhook" not in row
    assert "Webhook disabled" in text

    # The waiting delivery was dropped, and a new alert makes no delivery for this endpoint.
    dropped = WebhookDelivery.objects.get(alert_public_id=waiting.public_id)
    assert dropped.state == "failed" and dropped.last_error == "endpoint disabled"
    _raise(personas.a1, django_capture_on_commit_callbacks, title="After disabling")
    assert deliver_pending_webhooks() == {}
    assert WebhookDelivery.objects.filter(endpoint=hook).count() == 2
    assert len(receiver.received) == 1
    log = admin.get(reverse("interop:webhook", kwargs={"webhook_id": hook.public_id})).content.decode()
    assert "endpoint disabled" in log and "Disable this webhook" not in log


def test_the_delivery_log_shows_a_failed_deliverys_error_and_attempts_in_clinic_time(
    personas: Any, receiver: Receiver, admin: Client, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = _register(admin, receiver.url, events=("alert.created",))
    receiver.answers = [200] + [503] * MAX_ATTEMPTS
    ok_alert = _raise(personas.a2, django_capture_on_commit_callbacks, title="Lands")
    failing = _raise(personas.a1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(alert_public_id=failing.public_id)
    assert "<strong>Retrying</strong> after 1 failed attempt " in admin.get(LIST).content.decode()
    for _ in range(MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == MAX_ATTEMPTS

    page = admin.get(reverse("interop:webhook", kwargs={"webhook_id": hook.public_id}))
    assert page.status_code == 200
    text = page.content.decode()
    rows = re.findall(r'<tr data-testid="delivery-row" data-state="(\w+)">(.*?)</tr>', text, re.S)
    assert [state for state, _ in rows] == ["failed", "delivered"]  # newest first
    failed_row = rows[0][1]
    assert "FAILED" in failed_row  # text, not only colour
    assert (
        "HTTP 503" in failed_row and f"<td>{MAX_ATTEMPTS}</td>" in failed_row and "<td>503</td>" in failed_row
    )
    assert str(failing.public_id) in failed_row and str(ok_alert.public_id) in rows[1][1]
    # Times in the clinic's zone, with the zone named.
    zone = zoneinfo.ZoneInfo(personas.clinic_a.time_zone)
    assert "(clinic time, New York)" in text and personas.clinic_a.time_zone not in text
    assert delivery.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") in failed_row
    assert SECRET not in text
    assert AccessEvent.objects.filter(
        object_type="webhook-deliveries", object_id=str(hook.public_id), outcome="granted"
    ).exists()
    # The list flags the failure too, in words.
    listed = admin.get(LIST).content.decode()
    assert '<strong class="error">Failed</strong>' in listed and "1 failed delivery" in listed
    # The worker's log names the delivery, never the address or the secret.
    assert receiver.url not in caplog.text and "127.0.0.1" not in caplog.text and SECRET not in caplog.text


def test_a_receivers_error_text_is_shown_escaped(personas: Any, admin: Client) -> None:
    hook = register_webhook(
        clinic=personas.clinic_a, url="https://ehr.example.org/<b>x</b>", secret=SECRET, events="",
        by=personas.admin_a,
    )  # fmt: skip
    WebhookDelivery.objects.create(
        endpoint=hook, event="alert.created", alert_public_id=personas.a1.public_id, payload={},
        state="failed", attempts=MAX_ATTEMPTS, next_attempt_at=timezone.now(),
        last_error="BadStatusLine: <script>window.__xss=1</script>",
    )  # fmt: skip
    for url in (LIST, reverse("interop:webhook", kwargs={"webhook_id": hook.public_id})):
        text = admin.get(url).content.decode()
        assert "<script>window.__xss" not in text and "<b>x</b>" not in text
        assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in text


def test_another_clinics_admin_gets_an_audited_404_and_changes_nothing(personas: Any, admin: Client) -> None:
    hook = _register(admin, "https://ehr.example.org/hooks")
    admin_b = User.objects.create_user("admin.b@example.org", None, full_name="Admin B")
    StaffMembership.objects.create(user=admin_b, clinic=personas.clinic_b, role="clinic_admin")
    other = login(Client(), admin_b)
    detail = reverse("interop:webhook", kwargs={"webhook_id": hook.public_id})
    disable = reverse("interop:webhook_disable", kwargs={"webhook_id": hook.public_id})
    assert other.get(detail).status_code == 404
    assert other.post(disable).status_code == 404
    hook.refresh_from_db()
    assert hook.disabled_at is None
    denied = AccessEvent.objects.filter(
        object_type="webhook", object_id=str(hook.public_id), outcome="denied"
    )
    assert sorted(denied.values_list("action", flat=True)) == ["read", "write"]
    # Their own list shows none of clinic A's endpoints.
    own = other.get(LIST).content.decode()
    assert "ehr.example.org" not in own and 'data-testid="webhooks-empty"' in own
    # A malformed id is the same audited 404.
    assert other.get("/clinic/webhooks/not-a-uuid/").status_code == 404
    assert AccessEvent.objects.filter(
        object_type="webhook", object_id="not-a-uuid", outcome="denied"
    ).exists()


def test_staff_who_are_not_admins_get_404_and_see_no_link(personas: Any, client_for: Any) -> None:
    clinician = client_for("clinician_a")
    assert clinician.get(LIST).status_code == 404
    assert clinician.post(LIST, {"url": "https://ehr.example.org/h", "secret": SECRET}).status_code == 404
    assert not WebhookEndpoint.objects.exists()
    assert LIST not in clinician.get(reverse("patients:list")).content.decode()
    assert f'href="{LIST}"' in client_for("admin_a").get(reverse("patients:list")).content.decode()


def test_endpoints_are_paginated_and_the_list_costs_the_same_with_3_or_more_than_a_page(
    personas: Any, admin: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            register_webhook(
                clinic=personas.clinic_a, url=f"https://ehr{i}.example.org/h", secret=SECRET, events="",
                by=personas.admin_a,
            )  # fmt: skip

    add(3)
    with CaptureQueriesContext(connection) as few:
        assert admin.get(LIST).status_code == 200
    add(django_settings.PAGE_SIZE + 2)
    with CaptureQueriesContext(connection) as many:
        first = admin.get(LIST)
    assert len(many.captured_queries) == len(few.captured_queries)
    total = django_settings.PAGE_SIZE + 5
    assert first.content.decode().count('data-testid="webhook-row"') == django_settings.PAGE_SIZE
    assert "Page 1 of 2" in first.content.decode()
    second = admin.get(LIST, {"page": 2}).content.decode()
    assert second.count('data-testid="webhook-row"') == total - django_settings.PAGE_SIZE
