"""Access log, metrics, readiness and the clinic admin's e-mail page (docs/decisions/0018)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.alerts.tests.helpers import make_alert
from ketacare.ops.models import OutboundEmail
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


def test_the_access_log_carries_request_id_role_route_status_and_duration_but_no_ids_or_names(
    personas: Any, client_for: Any, caplog: Any
) -> None:
    client = client_for("clinician_a")
    with caplog.at_level(logging.INFO, logger="ketacare.access"):
        response = client.get(f"/clinic/patients/{personas.a1.public_id}/")
    assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "ketacare.access"]
    assert record.request_id == response["X-Request-ID"]
    assert record.role == "prescriber"
    assert record.route == "/clinic/patients/<str:patient_id>/"
    assert record.status == 200 and record.duration_ms > 0
    line = record.getMessage() + str(vars(record))
    assert str(personas.a1.public_id) not in line
    assert personas.clinician_a.email not in line and personas.a1.full_name not in line


def test_a_patient_and_an_anonymous_visitor_are_logged_by_role(client_for: Any, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="ketacare.access"):
        client_for("a1").get("/me/")
        Client().get("/healthz")
    roles = [r.role for r in caplog.records if r.name == "ketacare.access"]
    assert roles == ["patient", "anonymous"]


def test_metrics_need_the_token_and_report_alerts_queue_and_requests(
    personas: Any, settings: Any, client: Any
) -> None:
    assert client.get("/metrics").status_code == 404  # no token configured: no endpoint
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=10), tick=False):
        make_alert(personas.a1, severity="emergency")
    make_alert(personas.a2, severity="urgent")
    client.get("/healthz")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'ketacare_alerts_open{severity="emergency"} 1.0' in body
    assert 'ketacare_alerts_open{severity="urgent"} 1.0' in body
    oldest = next(
        line
        for line in body.splitlines()
        if line.startswith("ketacare_oldest_unacknowledged_emergency_alert_age_seconds ")
    )
    assert 590 < float(oldest.split()[1]) < 700
    assert "ketacare_queue_depth 0.0" in body
    assert 'ketacare_outbox_messages{state="failed"} 0.0' in body
    assert 'ketacare_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "ketacare_http_request_duration_seconds_bucket" in body
    assert personas.a1.full_name not in body and str(personas.a1.public_id) not in body


def test_readiness_fails_when_queued_jobs_wait_with_no_worker(client: Any) -> None:
    from django_q.models import OrmQ

    assert client.get("/readyz").json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    OrmQ.objects.create(key="ketacare", payload="x", lock=timezone.now() - dt.timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"].startswith("no worker")


def test_the_admin_sends_a_test_email_through_the_queue_and_sees_it_sent(
    personas: Any, client_for: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER
    admin = client_for("admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/clinic/mail/test/")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[personas.admin_a.email]]
    page = admin.get("/clinic/mail/").content.decode()
    assert "KetaCare test e-mail" in page and "0 failed · 0 waiting" in page
    assert OutboundEmail.objects.get().state == "sent"


def test_a_failed_message_is_shown_to_its_clinics_admin_only_and_can_be_sent_again(
    personas: Any, client_for: Any
) -> None:
    def failed(to: str) -> OutboundEmail:
        return OutboundEmail.objects.create(
            subject=f"Subject for {to}",
            body="b",
            from_email="k@example.org",
            to=[to],
            recipient=to,
            state="failed",
            attempts=8,
            last_error="SMTPServerDisconnected: closed",
            next_attempt_at=timezone.now(),
        )

    ours, theirs = failed(personas.a1.user.email), failed(personas.b1.user.email)
    admin = client_for("admin_a")
    page = admin.get("/clinic/mail/").content.decode()
    assert ours.subject in page and "SMTPServerDisconnected" in page and "1 failed" in page
    assert theirs.subject not in page
    assert admin.post(f"/clinic/mail/{theirs.public_id}/retry/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "failed"
    assert admin.post(f"/clinic/mail/{ours.public_id}/retry/").status_code == 302
    ours.refresh_from_db()
    assert (ours.state, ours.attempts) == ("pending", 0)
