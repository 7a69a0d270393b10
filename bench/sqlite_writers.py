"""SQLite under concurrency (security.md #11): N concurrent writers for S seconds, 0 "database is locked".

Starts gunicorn on 127.0.0.1 against a fresh SQLite file, logs in N patients, and has each
one read their own record through the API in a loop. Every such read appends a row to the
audit log inside its own write transaction, so N clients are N concurrent writers. Counts
errors, 5xx responses and "database is locked" lines in the server log, then stops by itself.

    .venv/bin/python bench/sqlite_writers.py --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-writer-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ketacare.settings",
        KETACARE_DATA_DIR=str(data_dir),
        KETACARE_HTTPS="false",
        KETACARE_PLAIN_STATIC="true",
        KETACARE_LOGIN_FAILURE_LIMIT="20",
    )
    return env


SEED = """
import django, sys
django.setup()
from django.contrib.auth.hashers import make_password
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.patients.models import Patient
import datetime as dt
n = int(sys.argv[1]); password = sys.argv[2]
clinic = Clinic.objects.create(name="Bench clinic", phone="1")
hashed = make_password(password)
ids = []
for i in range(n):
    u = User.objects.create(email=f"writer{i}@bench.invalid", full_name=f"Writer {i}", password=hashed)
    p = Patient.objects.create(clinic=clinic, user=u, full_name=f"Writer {i}", date_of_birth=dt.date(1980, 1, 1))
    ids.append(str(p.public_id))
print(" ".join(ids))
"""


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def login(self, email: str) -> None:
        self.opener.open(f"{self.base}/accounts/login/", timeout=30).read()
        token = next(c.value for c in self.jar if c.name == "ketacare_csrf")
        data = urllib.parse.urlencode(
            {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/accounts/login/", data=data, headers={"Referer": f"{self.base}/accounts/login/"}
        )
        self.opener.open(request, timeout=30).read()

    def get(self, path: str) -> int:
        try:
            with self.opener.open(f"{self.base}{path}", timeout=30) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def run(clients: int, seconds: float, workers: int = 4, threads: int = 8) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ketacare-bench-") as tmp:
        data_dir = Path(tmp)
        env = _env(data_dir)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, str(clients), PASSWORD],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        patient_ids = seeded.stdout.split()
        port = _free_port()
        log_path = data_dir / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "ketacare.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            sessions = []
            for i in range(clients):
                client = Client(base)
                client.login(f"writer{i}@bench.invalid")
                sessions.append(client)
            statuses: list[int] = []
            errors: list[str] = []
            lock = threading.Lock()
            deadline = time.monotonic() + seconds

            def work(index: int) -> None:
                local: list[int] = []
                while time.monotonic() < deadline:
                    try:
                        local.append(sessions[index].get(f"/api/v1/patients/{patient_ids[index]}"))
                    except Exception as exc:  # noqa: BLE001 - every failure is counted, none hidden
                        with lock:
                            errors.append(repr(exc)[:200])
                with lock:
                    statuses.extend(local)

            pool = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
            started = time.monotonic()
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        log_text = log_path.read_text()
        db = sqlite3.connect(data_dir / "ketacare.sqlite3")
        audit_rows = db.execute(
            "SELECT COUNT(*) FROM audit_accessevent WHERE object_type = 'patient'"
        ).fetchone()[0]
        db.close()
        ok = sum(1 for s in statuses if s == 200)
        return {
            "clients": clients,
            "seconds": round(elapsed, 1),
            "requests": len(statuses),
            "ok_200": ok,
            "status_5xx": sum(1 for s in statuses if s >= 500),
            "other_status": sum(1 for s in statuses if s != 200 and s < 500),
            "client_errors": len(errors),
            "database_is_locked": len(re.findall(r"database is locked", log_text)),
            "audit_rows_written": audit_rows,
            "writes_per_s": round(audit_rows / elapsed, 1) if elapsed else 0.0,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be 1..200 and --seconds 1..600")
    result = run(args.clients, args.seconds)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sqlite_writers.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if result["status_5xx"] or result["client_errors"] or result["database_is_locked"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
