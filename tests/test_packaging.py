"""Packaging: the version, the changelog, the Dockerfile lint, and the image's start sequence run
natively (no container engine on these machines): `deploy/entrypoint.sh web` migrates and serves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from harness import ROOT, free_port, instance_env  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
BIN = Path(sys.executable).parent


def test_ketacare_version_prints_the_project_version_and_the_changelog_has_it() -> None:
    out = subprocess.run(
        [BIN / "ketacare", "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == f"ketacare {VERSION}"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    first = next(line for line in changelog.splitlines() if line.startswith("## "))
    assert first.startswith(f"## {VERSION} ")
    assert f"{VERSION}" in (ROOT / "docs" / "upgrading.md").read_text()


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [BIN / "hadolint", "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_writes_only_in_data_and_tmp() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER 10001:10001\n" in dockerfile
    assert "KETACARE_DATA_DIR=/data" in dockerfile and "NUMBA_CACHE_DIR=/tmp/" in dockerfile
    assert "ketacare pk warm-up" in dockerfile  # the kernels compile at build time
    compose = (ROOT / "compose.yaml").read_text()
    assert compose.count("read_only: true") == 1 and "tmpfs: [/tmp]" in compose
    for service in ("web:", "worker:", "db:", "redis:", "caddy:"):
        assert f"\n  {service}" in compose


@pytest.mark.slow
def test_the_web_start_sequence_migrates_and_serves_and_the_worker_start_sequence_runs() -> None:
    with tempfile.TemporaryDirectory(prefix="ketacare-entry-") as tmp:
        port = free_port()
        env = instance_env(Path(tmp)) | {
            "KETACARE_BIND": f"127.0.0.1:{port}",
            "KETACARE_WEB_WORKERS": "1",
            "KETACARE_BIN": str(BIN / "ketacare"),
            "KETACARE_PYTHON": sys.executable,
            "KETACARE_LOG_FORMAT": "json",
            "KETACARE_METRICS_TOKEN": "packaging-test-metrics-token-0123456789",
            "PATH": f"{BIN}:{os.environ['PATH']}",
        }
        log = Path(tmp) / "web.log"
        with open(log, "w") as out:
            web = subprocess.Popen(
                [ROOT / "deploy" / "entrypoint.sh", "web"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline, ready = time.monotonic() + 120, None
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
                        ready = response.status
                        break
                except OSError:  # not listening yet, or still starting
                    time.sleep(0.5)
            assert ready == 200, log.read_text()[-3000:]
            # Migrated by the entrypoint; no worker yet, but nothing queued either: ready.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as response:
                assert json.loads(response.read())["checks"] == {"database": "ok", "queue": "ok"}
            # gunicorn.conf.py's multiprocess mode: the web processes' request counts reach /metrics.
            scrape = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": "Bearer packaging-test-metrics-token-0123456789"},
            )
            with urllib.request.urlopen(scrape, timeout=30) as response:  # noqa: S310 - loopback only
                metrics = response.read().decode()
            assert 'ketacare_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
            assert "ketacare_queue_depth" in metrics
            time.sleep(0.5)
            access = [
                json.loads(line) for line in log.read_text().splitlines() if '"ketacare.access"' in line
            ]
            assert {"request_id", "role", "route", "status", "duration_ms"} <= set(access[0])
            worker = subprocess.run(
                [ROOT / "deploy" / "entrypoint.sh", "worker", "--help"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert worker.returncode == 0 and "task queue" in worker.stdout
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=60)
