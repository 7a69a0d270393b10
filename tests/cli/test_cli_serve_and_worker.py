"""`ketacare serve` right after `ketacare setup` serves pages (it collects the static files the manifest
storage needs), and `ketacare worker` warns when the links it sends have no public address."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
import migrated  # noqa: E402
from harness import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KETACARE = Path(sys.executable).with_name("ketacare")
# Django's manifest storage: the same missing-manifest failure as production's WhiteNoise one, without
# compressing every file (seconds per collection).
MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


@pytest.fixture
def fresh_static_root(settings, tmp_path):
    """A data dir where nothing was collected yet, served with a manifest as in production."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    return settings.STATIC_ROOT


@pytest.fixture
def gunicorn_started(monkeypatch):
    """Stands in for the exec of gunicorn: the argv it would have become."""
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: started.append(list(argv)))
    return started


@pytest.mark.django_db
def test_serve_on_a_fresh_install_collects_the_static_files_and_pages_then_load(
    run, client, fresh_static_root, gunicorn_started, monkeypatch
):
    monkeypatch.delenv("KETACARE_COLLECTSTATIC_ON_START", raising=False)
    result = run("serve")
    assert result.exit_code == 0, result.output
    assert gunicorn_started and gunicorn_started[0][-1] == "ketacare.wsgi:application"
    # Without the manifest every page names a stylesheet the storage cannot find: a 500.
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert result.stdout.strip().splitlines() == [
        f"Collecting static files into {fresh_static_root}: staticfiles.json is missing."
    ]
    # Started again with nothing changed: no collection, no line.
    again = run("serve")
    assert again.exit_code == 0 and again.stdout == ""


def test_serve_collects_again_when_an_installed_file_is_newer(
    run, settings, fresh_static_root, gunicorn_started, tmp_path
):
    extra = tmp_path / "extra"
    (extra / "ketacare-extra").mkdir(parents=True)
    added = extra / "ketacare-extra" / "upgrade.css"
    added.write_text("body { color: black; }\n")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, extra]
    assert run("serve").exit_code == 0
    assert run("serve").stdout == ""
    # Collected an hour ago; an upgrade then installed a newer copy. An hour before the file system's
    # own clock, not the test process's (conftest's _away_from_clinic_midnights may shift that one).
    an_hour_ago = added.stat().st_mtime - 3600
    for collected in fresh_static_root.rglob("*"):
        os.utime(collected, (an_hour_ago, an_hour_ago))
    added.write_text("body { color: navy; }\n")
    result = run("serve")
    assert result.stdout.startswith(f"Collecting static files into {fresh_static_root}: ")
    assert result.stdout.strip().endswith("is newer than the collected files.")
    assert (fresh_static_root / "ketacare-extra" / "upgrade.css").read_text() == "body { color: navy; }\n"
    assert run("serve").stdout == ""


def test_serve_leaves_the_static_files_alone_where_the_image_collected_them(
    run, fresh_static_root, gunicorn_started, monkeypatch
):
    monkeypatch.setenv("KETACARE_COLLECTSTATIC_ON_START", "false")
    result = run("serve")
    assert result.exit_code == 0 and result.stdout == ""
    assert not fresh_static_root.exists() and gunicorn_started


def test_the_worker_warns_once_at_start_without_a_public_address(run, settings, monkeypatch, caplog):
    import django.core.management
    import django_q.scheduler

    ran: list[str] = []
    monkeypatch.setattr(django.core.management, "call_command", lambda name, *a, **k: ran.append(name))
    monkeypatch.setattr(django_q.scheduler, "scheduler", lambda *a, **k: None)
    settings.PUBLIC_BASE_URL = ""
    with caplog.at_level(logging.WARNING, logger="ketacare.worker"):
        assert run("worker", "--no-schedules").exit_code == 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "ketacare.worker"]
    assert len(warnings) == 1 and ran == ["qcluster"]
    assert (
        "No public address is configured (KETACARE_BASE_URL, or `ketacare setup --base-url`)" in warnings[0]
    )
    assert "http://127.0.0.1:8000" in warnings[0]
    caplog.clear()
    settings.PUBLIC_BASE_URL = "https://care.example.org"
    with caplog.at_level(logging.WARNING, logger="ketacare.worker"):
        assert run("worker", "--no-schedules").exit_code == 0
    assert not [r for r in caplog.records if r.name == "ketacare.worker"]


def _get(url: str) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    assert url.startswith("http://127.0.0.1:")
    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
def test_the_serve_command_setup_prints_serves_the_login_page_on_a_fresh_data_dir(tmp_path):
    port = free_port()
    env = migrated.clean_env(tmp_path, KETACARE_SETUP_ADMIN_PASSWORD="first admin password 2026")
    # A newcomer's shell: production defaults (https on, the manifest storage), nothing collected.
    for name in ("KETACARE_HTTPS", "KETACARE_PLAIN_STATIC"):
        env.pop(name)
    migrated.copy(migrated.template(), tmp_path / "ketacare.sqlite3")
    setup = subprocess.run(
        [
            KETACARE, "setup", "--no-input", "--base-url", f"http://127.0.0.1:{port}",
            "--organisation", "Bright Path Health", "--clinic", "Bright Path Boston",
            "--phone", "+1 617 555 0100", "--admin-name", "Ada Admin", "--admin-email", "ada@brightpath.example",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stdout + setup.stderr
    [serve_line] = [line for line in setup.stdout.splitlines() if line.endswith(" serve")]
    *assignments, command, verb = shlex.split(serve_line)
    assert (command, verb) == (str(KETACARE), "serve")
    serve_env = env | dict(a.split("=", 1) for a in assignments)
    serve_env["KETACARE_WEB_WORKERS"] = "1"
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [command, verb], cwd=ROOT, env=serve_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 180, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, (status, log.read_text()[-3000:])
        assert b'name="password"' in body
        assert "Collecting static files into" in log.read_text()
        assert _get(f"http://127.0.0.1:{port}/static/ketacare/app.css")[0] == 200
        # Run again without --base-url, setup still names the saved address.
        again = subprocess.run(
            [KETACARE, "setup", "--no-input", "--no-migrate"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert f"Log in at http://127.0.0.1:{port}/accounts/login/" in again.stdout, again.stdout
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
