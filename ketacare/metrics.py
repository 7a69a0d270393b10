"""Prometheus metrics (`/metrics`, behind a bearer token) and the readiness check (`/readyz`).

Request counts and latency come from ``ketacare.ops.observability`` (per process; gunicorn.conf.py
turns on prometheus_client's multiprocess mode so every web process adds up). Everything about the
queue, the outbox and the alerts is read from the database at scrape time, so any process answers
with the same numbers. No patient data in any label.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from ketacare.alerts.models import Alert
from ketacare.ops.models import OutboundEmail

# A job waiting longer than this means no worker is taking jobs.
STALE_QUEUE_S = 300


def _queue_stats() -> tuple[int, float]:
    """(jobs waiting, age in seconds of the oldest); on Redis the list length and 0 (no timestamps)."""
    from django_q.models import OrmQ

    if "orm" not in settings.Q_CLUSTER:
        from django_q.brokers import get_broker

        return int(get_broker().queue_size() or 0), 0.0
    now = timezone.now()
    waiting = OrmQ.objects.filter(lock__lte=now)
    count = waiting.count()
    oldest = waiting.aggregate(first=Min("lock"))["first"]
    return count, (now - oldest).total_seconds() if oldest else 0.0


class DatabaseCollector:
    """Gauges read from the database on every scrape."""

    def collect(self) -> Iterator[Metric]:
        from django_q.models import Failure, OrmQ

        now = timezone.now()
        depth, age_s = _queue_stats()
        yield GaugeMetricFamily("ketacare_queue_depth", "Jobs waiting for a worker", value=depth)
        yield GaugeMetricFamily(
            "ketacare_queue_oldest_job_age_seconds", "Age of the oldest waiting job", value=age_s
        )
        yield GaugeMetricFamily(
            "ketacare_queue_jobs_in_flight",
            "Jobs taken by a worker and not yet acknowledged",
            value=OrmQ.objects.filter(lock__gt=now).count(),
        )
        failed = GaugeMetricFamily(
            "ketacare_job_failures", "Failed job runs kept by the queue, by job", labels=["job"]
        )
        for row in Failure.objects.values("func").annotate(n=Count("id")):
            failed.add_metric([str(row["func"])], row["n"])
        yield failed
        mail = GaugeMetricFamily("ketacare_outbox_messages", "Outgoing e-mail by state", labels=["state"])
        counts = dict(OutboundEmail.objects.values_list("state").annotate(n=Count("id")))
        for state in OutboundEmail.State.values:
            mail.add_metric([state], counts.get(state, 0))
        yield mail
        alerts = GaugeMetricFamily(
            "ketacare_alerts_open", "Open (unacknowledged) alerts by severity", labels=["severity"]
        )
        open_counts = dict(
            Alert.objects.filter(state=Alert.State.OPEN).values_list("severity").annotate(n=Count("id"))
        )
        for severity in Alert.Severity.values:
            alerts.add_metric([severity], open_counts.get(severity, 0))
        yield alerts
        oldest = Alert.objects.filter(state=Alert.State.OPEN, severity=Alert.Severity.EMERGENCY).aggregate(
            first=Min("created_at")
        )["first"]
        yield GaugeMetricFamily(
            "ketacare_oldest_unacknowledged_emergency_alert_age_seconds",
            "Age of the oldest open emergency alert (0 when none)",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )


def _registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def _authorised(request: HttpRequest) -> bool:
    token = str(getattr(settings, "METRICS_TOKEN", ""))
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for a scraper holding KETACARE_METRICS_TOKEN; 404 for anyone else."""
    if not _authorised(request):
        return HttpResponse("Not found", status=404, content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())  # type: ignore[arg-type]
    body = generate_latest(_registry()) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers, the queue's broker answers and its jobs are being taken."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any database error means not ready
        checks["database"] = type(exc).__name__
    try:
        from django_q.brokers import get_broker

        checks["queue"] = "ok" if get_broker().ping() else "unreachable"
        if checks["database"] == "ok" and "orm" in settings.Q_CLUSTER:
            _, age_s = _queue_stats()
            if age_s > STALE_QUEUE_S:
                checks["queue"] = f"no worker: oldest job waiting {int(age_s)} s"
    except Exception as exc:  # a broker that cannot be reached
        checks["queue"] = type(exc).__name__
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "not ready", "checks": checks}, status=200 if ready else 503
    )
