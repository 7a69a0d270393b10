"""Deployment hardening (security.md #5): check --deploy, headers, cookies, no-store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    } | {
        "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        "KETACARE_SECRET_KEY": "p" * 20 + "-production-secret-key-for-the-check-" + "q" * 20,
        "KETACARE_DATA_DIR": str(tmp_path),
        "KETACARE_ALLOWED_HOSTS": "ketacare.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure():
    # The test run sets KETACARE_HTTPS=false; the defaults themselves are checked through the
    # subprocess above. Here: what holds in every mode.
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF
    assert settings.X_FRAME_OPTIONS == "DENY"


@pytest.mark.django_db
def test_pages_carry_csp_nosniff_referrer_policy_and_no_store(personas, client_for):
    response = client_for("a1").get("/me/")
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_api_responses_with_patient_data_are_not_cached(personas, client_for):
    response = client_for("clinician_a").get(f"/api/v1/patients/{personas.a1.public_id}")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_behind_https_only_the_health_checks_and_metrics_answer_plain_http(settings, client):
    # They are called on the application's own address (127.0.0.1:8000, a container's port), not
    # through the TLS proxy; every page is still sent to https.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 404  # no token configured: not found, not redirected
    for path in ("/accounts/login/", "/healthz/", "/metricsx", "/api/v1/me"):
        response = client.get(path)
        assert response.status_code == 301 and response["Location"].startswith("https://"), path
