"""Nothing acknowledged is lost, nothing is duplicated (security.md #10 and #12).

Starts gunicorn on 127.0.0.1 against a fresh SQLite database, has C concurrent clients submit
check-ins (some with a red flag) with idempotency keys, and kills the whole server with SIGKILL at
random moments, restarting it each time. A client retries a request with the SAME key until it gets
an answer or gives up. Afterwards the clients' acknowledgement log is reconciled with the database:
every key that got a 2xx exists exactly once, and every acknowledged red-flag check-in has its alert.
Bounded in time and count; stops by itself.

    .venv/bin/python bench/crash_reconcile.py --clients 200 --seconds 60
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import signal
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-crash-password-1"
PATIENTS = 50

SEED = """
import django, sys, datetime as dt
django.setup()
from django.contrib.auth.hashers import make_password
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.patients.models import Patient
n = int(sys.argv[1]); hashed = make_password(sys.argv[2])
clinic = Clinic.objects.create(name="Crash clinic", phone="1")
for i in range(n):
    u = User.objects.create(email=f"crash{i}@bench.invalid", full_name=f"Crash {i}", password=hashed)
    Patient.objects.create(clinic=clinic, user=u, full_name=f"Crash {i}", date_of_birth=dt.date(1980, 1, 1))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn in its own process group, so SIGKILL takes the master and every worker at once."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "ketacare.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "16",
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class Session:
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

    def submit(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(
            f"{self.base}/api/v1/me/checkins",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), {}


def run(clients: int, seconds: float, seed: int = 1) -> dict[str, object]:
    rng = random.Random(seed)  # noqa: S311 - load pattern, not security
    with tempfile.TemporaryDirectory(prefix="ketacare-crash-") as tmp:
        data_dir = Path(tmp)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="ketacare.settings",
            KETACARE_DATA_DIR=str(data_dir),
            KETACARE_HTTPS="false",
            KETACARE_PLAIN_STATIC="true",
            KETACARE_LOGIN_FAILURE_LIMIT="20",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        patients = min(PATIENTS, clients)
        subprocess.run(
            [sys.executable, "-c", SEED, str(patients), PASSWORD], cwd=ROOT, env=env, check=True, timeout=300
        )
        server = Server(env, _free_port(), data_dir / "server.log")
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        sessions = [Session(base, f"crash{i}@bench.invalid") for i in range(patients)]
        acknowledged: list[tuple[str, str, bool]] = []  # (key, public_id, red flag)
        gave_up = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        kills = [0]

        def client(index: int) -> None:
            local_rng = random.Random(seed * 1000 + index)  # noqa: S311
            session = sessions[index % patients]
            while time.monotonic() < deadline:
                key = uuid.uuid4().hex
                red = local_rng.random() < 0.2
                body = {
                    "idempotency_key": key,
                    "mood": local_rng.randint(0, 10),
                    "reports": [{"symptom_id": "chest_pain" if red else "nausea", "severity": "mild"}],
                }
                for _attempt in range(20):
                    try:
                        status, payload = session.submit(body)
                    except OSError:
                        time.sleep(0.2)  # server down: retry the same key
                        continue
                    if 200 <= status < 300:
                        with lock:
                            acknowledged.append((key, str(payload["public_id"]), red))
                        break
                    if status >= 500 or status in (502, 503):
                        time.sleep(0.2)
                        continue
                    break  # a 4xx is a real answer: not acknowledged, nothing to reconcile
                else:
                    with lock:
                        gave_up[0] += 1

        def killer() -> None:
            while time.monotonic() < deadline - 2:
                time.sleep(rng.uniform(1.0, 3.0))
                server.kill()
                kills[0] += 1
                server.start()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        chaos = threading.Thread(target=killer)
        for thread in threads:
            thread.start()
        chaos.start()
        for thread in threads:
            thread.join()
        chaos.join()
        server.stop()

        db = sqlite3.connect(data_dir / "ketacare.sqlite3")
        stored = dict(
            db.execute(
                "SELECT idempotency_key, COUNT(*) FROM checkins_symptomcheckin GROUP BY idempotency_key"
            ).fetchall()
        )
        alerts = {row[0] for row in db.execute("SELECT dedupe_key FROM alerts_alert")}
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        missing = [k for k, _, _ in acknowledged if stored.get(k, 0) != 1]
        duplicated = [k for k, n in stored.items() if n > 1]
        red_without_alert = [p for _, p, red in acknowledged if red and f"checkin:{p}" not in alerts]
        return {
            "clients": clients,
            "seconds": seconds,
            "server_kills": kills[0],
            "acknowledged": len(acknowledged),
            "acknowledged_red_flags": sum(1 for *_, red in acknowledged if red),
            "rows_stored": sum(stored.values()),
            "acknowledged_missing": len(missing),
            "duplicated_keys": len(duplicated),
            "red_flags_without_alert": len(red_without_alert),
            "clients_gave_up": gave_up[0],
            "sqlite_integrity": integrity,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 400 or not 5 <= args.seconds <= 600:
        parser.error("--clients must be 1..400 and --seconds 5..600")
    result = run(args.clients, args.seconds)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "crash_reconcile.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    bad = result["acknowledged_missing"] or result["duplicated_keys"] or result["red_flags_without_alert"]
    sys.exit(1 if bad or result["sqlite_integrity"] != "ok" else 0)


if __name__ == "__main__":
    main()
