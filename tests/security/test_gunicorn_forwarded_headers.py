"""The project's gunicorn.conf.py trusts X-Forwarded-Proto only when told a proxy is in front."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _status_with_forwarded_https(tmp_path: Path, *, behind_proxy: bool) -> int:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL"))} | {
        "KETACARE_DATA_DIR": str(tmp_path),
        "KETACARE_HTTPS": "true",
        "KETACARE_PLAIN_STATIC": "true",
        "KETACARE_BEHIND_PROXY": "true" if behind_proxy else "false",
        "KETACARE_BIND": f"127.0.0.1:{port}",
        "KETACARE_WEB_WORKERS": "1",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "ketacare.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        opener = urllib.request.build_opener(_NoRedirect)
        request = urllib.request.Request(  # noqa: S310 - loopback only
            # The sign-in page, not /healthz: health and metrics are exempt from the redirect so a
            # load balancer can probe them over plain HTTP.
            f"http://127.0.0.1:{port}/accounts/login/",
            headers={"X-Forwarded-Proto": "https"},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with opener.open(request, timeout=5) as response:
                    return int(response.status)
            except urllib.error.HTTPError as error:
                return int(error.code)
            except OSError:  # not listening yet, or the first request still loading the app (a busy machine)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_local_client_cannot_skip_the_https_redirect_with_a_forwarded_header(tmp_path: Path) -> None:
    assert _status_with_forwarded_https(tmp_path, behind_proxy=False) == 301


def test_behind_a_declared_proxy_the_forwarded_scheme_is_trusted(tmp_path: Path) -> None:
    # Positive control: the same request is taken as HTTPS when the operator declared the proxy.
    assert _status_with_forwarded_https(tmp_path, behind_proxy=True) != 301
