"""`check --deploy` refuses demo mode on HTTPS and keys too short (docs/security.md S5, S7)."""

from __future__ import annotations

from django.test import override_settings

from ketacare.audit.checks import check_deployment_secrets

GOOD = {"SECRET_KEY": "s" * 60, "AUDIT_KEY": "a" * 40, "DEMO_MODE": False, "HTTPS": True}


def _ids(**overrides: object) -> list[str]:
    with override_settings(**(GOOD | overrides)):
        return [e.id for e in check_deployment_secrets(None)]


def test_a_well_configured_deployment_passes() -> None:
    assert _ids() == []


def test_demo_mode_on_https_is_an_error() -> None:
    assert _ids(DEMO_MODE=True) == ["ketacare.E101"]
    assert _ids(DEMO_MODE=True, HTTPS=False) == []


def test_short_or_missing_keys_are_errors() -> None:
    assert _ids(SECRET_KEY="short") == ["ketacare.E102"]
    assert _ids(AUDIT_KEY="") == ["ketacare.E103"]
    assert _ids(AUDIT_KEY="x" * 31) == ["ketacare.E103"]


def test_check_deploy_fails_with_demo_mode_on_a_production_configuration(tmp_path: object) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL"))} | {
        "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        "KETACARE_SECRET_KEY": "p" * 60,
        "KETACARE_DATA_DIR": str(tmp_path),
        "KETACARE_ALLOWED_HOSTS": "ketacare.example.org",
        "KETACARE_DEMO": "true",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ketacare.E101" in result.stderr + result.stdout
