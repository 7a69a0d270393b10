"""Shared pieces of the load and crash harnesses: a fresh instance, gunicorn, logged-in HTTP clients.

Everything targets 127.0.0.1 only and runs in a temporary data directory.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import migrated  # bench/migrated.py: this directory is on sys.path for every user of the harness

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-harness-password-1"

# Seeds N patients with logins (e-mails `<prefix><i>@bench.invalid`) and prints their public ids.
SEED_PATIENTS = """
import django, sys, datetime as dt
django.setup()
from django.contrib.auth.hashers import make_password
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.notifications.models import NotificationPreference
from ketacare.patients.models import Patient
n, prefix, hashed = int(sys.argv[1]), sys.argv[2], make_password(sys.argv[3])
clinic = Clinic.objects.create(name="Bench clinic", phone="1")
ids = []
for i in range(n):
    u = User.objects.create(email=f"{prefix}{i}@bench.invalid", full_name=f"Bench {i}", password=hashed)
    p = Patient.objects.create(clinic=clinic, user=u, full_name=f"Bench {i}", date_of_birth=dt.date(1980, 1, 1))
    # No quiet hours (start = end): a run reminds and prompts whatever the hour it runs at.
    NotificationPreference.objects.create(clinic=clinic, patient=p, quiet_start=dt.time(0), quiet_end=dt.time(0))
    ids.append(str(p.public_id))
print(" ".join(ids))
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def instance_env(data_dir: Path) -> dict[str, str]:
    """Environment for a fresh SQLite instance in `data_dir` (no settings leak in from the caller)."""
    return migrated.clean_env(data_dir, KETACARE_LOGIN_FAILURE_LIMIT="20")


def prepare_instance(env: dict[str, str], *, patients: int, prefix: str) -> list[str]:
    """Migrate the fresh database and seed `patients` logins; return their public ids.

    A SQLite instance starts from a copy of the migrated empty database (bench/migrated.py: the same
    file `migrate` writes, made once per set of migrations); PostgreSQL is migrated here.
    """
    if env.get("DATABASE_URL"):
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )
    else:
        database = env.get("KETACARE_SQLITE_PATH") or str(Path(env["KETACARE_DATA_DIR"]) / "ketacare.sqlite3")
        migrated.copy(migrated.template(), database)
    seeded = subprocess.run(
        [sys.executable, "-c", SEED_PATIENTS, str(patients), prefix, PASSWORD],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return seeded.stdout.split()


class Server:
    """gunicorn in its own process group, so SIGKILL takes the master and every worker at once."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 16) -> None:
        self.env, self.log, self.workers, self.threads = env, log, workers, threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start gunicorn and wait until /healthz answers (at most about 10 s)."""
        command = [
            sys.executable, "-m", "gunicorn", "ketacare.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "60",
        ]  # fmt: skip
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole server, as a power cut or OOM kill would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the server gracefully."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class Session:
    """A logged-in browser-like client (cookies and CSRF) of one patient."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/accounts/login/", timeout=30).read()
        data = urllib.parse.urlencode(
            {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf}
        ).encode()
        self.opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data), timeout=30).read()

    @property
    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "ketacare_csrf")

    def get(self, path: str) -> int:
        """GET a path; return the status (HTTP errors are statuses, not exceptions)."""
        try:
            with self.opener.open(f"{self.base}{path}", timeout=30) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST JSON with the CSRF header; return the status and the decoded body ({} on errors)."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), {}


def write_result(name: str, result: dict[str, Any]) -> None:
    """Write bench/results/<name>.json and print it."""
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
