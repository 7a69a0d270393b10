"""Two web nodes and two workers against one PostgreSQL behind nginx, with a web node and a worker
killed (SIGKILL) mid-run (docs/decisions/0018).

Seeds a clinic with an admin, P patients (each with baseline questionnaires falling due, so the
workers' own schedule sends reminders) and E emergency alerts already past the escalation time. C
clients then submit check-ins through nginx (some with a red flag) with idempotency keys, retrying the
same key until answered. Mid-run one web node and one worker are SIGKILLed and restarted a few seconds
later, as a supervisor would. Afterwards, once the outbox has drained:

- every acknowledged check-in exists exactly once, and each acknowledged red flag has exactly one alert;
- every patient with questionnaires due was reminded exactly once, one message for those due together
  (patients reminded = outbox rows = messages delivered);
- every seeded emergency alert was escalated exactly once (one escalation message each).

    .venv/bin/python bench/multinode.py --clients 100 --seconds 90

Needs PostgreSQL (KETACARE_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a
throwaway database is created and dropped) and Debian's nginx (`make ensure-nginx`).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # run as a script or loaded by the tests
import migrated  # noqa: E402
from harness import ROOT, Server, Session, free_port, instance_env, prepare_instance, write_result  # noqa: E402

NGINX = "/usr/sbin/nginx"
BASE_URL = os.environ.get("KETACARE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ALERT_PREFIX = "multinode-emergency:"

SEED_ADMIN_AND_ALERTS = """
import django, sys, datetime as dt
django.setup()
from django.utils import timezone
from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.patients.models import Patient
n = int(sys.argv[1])
clinic = Clinic.objects.get(name="Bench clinic")
admin = User.objects.create(email="admin@bench.invalid", full_name="Bench admin")
StaffMembership.objects.create(user=admin, clinic=clinic, role="clinic_admin")
patients = list(Patient.objects.filter(clinic=clinic).order_by("id"))
ids = []
for i in range(n):
    alert = Alert.objects.create(
        clinic=clinic, patient=patients[i % len(patients)], source="red_flag_checkin", severity="emergency",
        title="Bench emergency", dedupe_key=f"PREFIX{i}",
    )
    ids.append(alert.pk)
Alert.objects.filter(pk__in=ids).update(created_at=timezone.now() - dt.timedelta(hours=2))
""".replace("PREFIX", ALERT_PREFIX)


def available() -> str | None:
    """Why the run cannot happen here, or None when PostgreSQL and nginx are both there."""
    if not Path(NGINX).exists():
        return f"{NGINX} is missing (make ensure-nginx)"
    try:
        import psycopg

        psycopg.connect(BASE_URL, connect_timeout=3).close()
    except Exception as exc:  # any connection problem
        return f"PostgreSQL unreachable at {BASE_URL}: {type(exc).__name__}"
    return None


class Database:
    """A throwaway PostgreSQL database for one run."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"ketacare_multinode_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = BASE_URL.rsplit("/", 1)[0] + "/" + self.name
        with psycopg.connect(BASE_URL, autocommit=True) as conn:
            # Created migrated (bench/migrated.py); the nodes' `migrate` then finds nothing to apply.
            conn.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{migrated.postgres_template(BASE_URL)}"')

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(BASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Nginx:
    """nginx in the foreground, round-robin over the web nodes, passing to the next one on a dead node."""

    def __init__(self, workdir: Path, upstreams: list[int]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in upstreams)
        user = "user root root;" if os.geteuid() == 0 else ""
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(f"""
{user}
worker_processes 1;
error_log {workdir}/nginx-error.log warn;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx-body;
  proxy_temp_path {workdir}/nginx-proxy;
  fastcgi_temp_path {workdir}/nginx-fastcgi;
  uwsgi_temp_path {workdir}/nginx-uwsgi;
  scgi_temp_path {workdir}/nginx-scgi;
  upstream ketacare {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      proxy_pass http://ketacare;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }}
  }}
}}
""")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.conf.parent), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Worker:
    """`ketacare worker` in its own process group, so SIGKILL takes the cluster and all its children."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("ketacare")), "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the main process stops its children in order
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _messages(mail_dir: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every message the file backend delivered."""
    found = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for block in path.read_text().split("-" * 79):
            subject = re.search(r"^Subject: (.*)$", block, re.M)
            to = re.search(r"^To: (.*)$", block, re.M)
            if subject and to:
                found.append((to.group(1).strip(), subject.group(1).strip(), block))
    return found


def run(
    clients: int, seconds: float, *, patients: int = 30, emergencies: int = 10, seed: int = 1
) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 - load pattern, not security
    database = Database()
    tmp = Path(tempfile.mkdtemp(prefix="ketacare-multinode-"))
    nodes: list[Server] = []
    workers: list[Worker] = []
    nginx: Nginx | None = None
    try:
        env = instance_env(tmp) | {
            "DATABASE_URL": database.url,
            # Every node shares the keys: sessions and the audit chain work across nodes.
            "KETACARE_SECRET_KEY": "multinode-secret-key-" + "x" * 40,
            "KETACARE_AUDIT_KEY": "multinode-audit-key-" + "y" * 20,
            "KETACARE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "KETACARE_QUEUE_WORKERS": "1",
            # Short leases so work a killed worker held is taken again within the run.
            "KETACARE_JOB_TIMEOUT_S": "15",
            "KETACARE_MAIL_SEND_LEASE_S": "20",
            "KETACARE_ACCESS_LOG": "false",
        }
        prepare_instance(env, patients=patients, prefix="multi")
        subprocess.run(
            [sys.executable, "-c", SEED_ADMIN_AND_ALERTS, str(emergencies)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        nodes = [Server(env, tmp / f"web{i}.log", workers=1, threads=8) for i in range(2)]
        for node in nodes:
            node.start()
        nginx = Nginx(tmp, [n.port for n in nodes])
        nginx.start()
        workers = [Worker(env, tmp / f"worker{i}.log") for i in range(2)]
        for worker in workers:
            worker.start()
        sessions = [Session(nginx.base, f"multi{i}@bench.invalid") for i in range(min(patients, clients))]

        acknowledged: list[tuple[str, str, bool]] = []
        gave_up = [0]
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + seconds
        events: list[str] = []

        def client(index: int) -> None:
            local = random.Random(seed * 1000 + index)  # noqa: S311
            session = sessions[index % len(sessions)]
            while time.monotonic() < deadline:
                key = uuid.uuid4().hex
                red = local.random() < 0.2
                body = {
                    "idempotency_key": key,
                    "mood": local.randint(0, 10),
                    "reports": [{"symptom_id": "chest_pain" if red else "nausea", "severity": "mild"}],
                }
                for _attempt in range(30):
                    try:
                        status, payload = session.post_json("/api/v1/me/checkins", body)
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.2)
                        continue
                    if 200 <= status < 300:
                        with lock:
                            acknowledged.append((key, str(payload["public_id"]), red))
                        break
                    if status >= 500:
                        time.sleep(0.2)
                        continue
                    break
                else:
                    with lock:
                        gave_up[0] += 1
                time.sleep(local.uniform(0.05, 0.3))  # a bounded load, not a flood

        def chaos() -> None:
            time.sleep(seconds * 0.3 + rng.uniform(0, 2))
            nodes[0].kill()
            events.append(f"{time.monotonic() - started:.1f}s SIGKILL web node 0")
            time.sleep(seconds * 0.1 + rng.uniform(0, 2))
            workers[0].kill()
            events.append(f"{time.monotonic() - started:.1f}s SIGKILL worker 0")
            time.sleep(max(3.0, seconds * 0.2))
            nodes[0].start()
            events.append(f"{time.monotonic() - started:.1f}s web node 0 restarted")
            workers[0].start()
            events.append(f"{time.monotonic() - started:.1f}s worker 0 restarted")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        chaos_thread = threading.Thread(target=chaos)
        for thread in threads:
            thread.start()
        chaos_thread.start()
        for thread in threads:
            thread.join()
        chaos_thread.join()

        # Let the workers finish: every reminder due, every seeded emergency escalated, the outbox empty.
        def settled() -> bool:
            (unsent,) = database.query(
                "SELECT COUNT(*) FROM ops_outboundemail WHERE state NOT IN ('sent', 'not_sent')"
            )[0]
            (unreminded,) = database.query(
                "SELECT COUNT(*) FROM questionnaires_questionnaireassignment "
                "WHERE state = 'due' AND reminded_at IS NULL AND due_at <= now()"
            )[0]
            (unescalated,) = database.query(
                "SELECT COUNT(*) FROM alerts_alert WHERE dedupe_key LIKE %s AND escalated_at IS NULL",
                (ALERT_PREFIX + "%",),
            )[0]
            # And the jobs themselves have run: reminders are laid out by the job that sends them, so "none
            # unreminded" means nothing until one run has finished; nothing may wait in the queue.
            (queued,) = database.query("SELECT COUNT(*) FROM django_q_ormq")[0]
            (reminder_runs,) = database.query(
                "SELECT COUNT(*) FROM django_q_task WHERE func = 'ketacare.jobs.send_reminders' AND success"
            )[0]
            return unsent == 0 and unreminded == 0 and unescalated == 0 and queued == 0 and reminder_runs > 0

        settle_started = time.monotonic()
        while not settled() and time.monotonic() - settle_started < 180:
            time.sleep(2)
        settle_s = time.monotonic() - settle_started
        for worker in workers:
            worker.stop()

        stored = dict(
            database.query(
                "SELECT idempotency_key, COUNT(*) FROM checkins_symptomcheckin GROUP BY idempotency_key"
            )
        )
        alert_counts = dict(
            database.query("SELECT dedupe_key, COUNT(*) FROM alerts_alert GROUP BY dedupe_key")
        )
        missing = [k for k, _, _ in acknowledged if stored.get(k, 0) != 1]
        duplicated = [k for k, n in stored.items() if n > 1]
        red = [p for _, p, r in acknowledged if r]
        red_not_once = [p for p in red if alert_counts.get(f"checkin:{p}", 0) != 1]

        (reminded,) = database.query(
            "SELECT COUNT(DISTINCT (patient_id, reminded_at)) FROM questionnaires_questionnaireassignment "
            "WHERE reminded_at IS NOT NULL"
        )[0]
        (unreminded,) = database.query(
            "SELECT COUNT(*) FROM questionnaires_questionnaireassignment "
            "WHERE state = 'due' AND reminded_at IS NULL AND due_at <= now()"
        )[0]
        reminder_subject = "KetaCare: a questionnaire is waiting for you"
        (reminder_rows,) = database.query(
            "SELECT COUNT(*) FROM ops_outboundemail WHERE subject = %s", (reminder_subject,)
        )[0]
        delivered = _messages(tmp / "mail")
        reminders_delivered = sum(1 for _, s, _ in delivered if s == reminder_subject)
        # One reminder per patient for the questionnaires that fell due together (their baselines).
        per_patient_expected = collections.Counter(
            dict(
                database.query(
                    "SELECT u.email, COUNT(DISTINCT a.reminded_at) FROM questionnaires_questionnaireassignment a "
                    "JOIN patients_patient p ON p.id = a.patient_id JOIN accounts_user u ON u.id = p.user_id "
                    "WHERE a.reminded_at IS NOT NULL GROUP BY u.email"
                )
            )
        )
        per_patient_delivered = collections.Counter(t for t, s, _ in delivered if s == reminder_subject)

        seeded = database.query(
            "SELECT public_id::text, escalated_at IS NOT NULL FROM alerts_alert WHERE dedupe_key LIKE %s",
            (ALERT_PREFIX + "%",),
        )
        escalation_mail = [b for _, s, b in delivered if "not acknowledged" in s]
        escalations_per_alert = {pid: sum(1 for b in escalation_mail if pid in b) for pid, _ in seeded}
        (outbox_unsent,) = database.query(
            "SELECT COUNT(*) FROM ops_outboundemail WHERE state NOT IN ('sent', 'not_sent')"
        )[0]
        (jobs_failed,) = database.query("SELECT COUNT(*) FROM django_q_task WHERE NOT success")[0]
        return {
            "clients": clients,
            "seconds": seconds,
            "web_nodes": 2,
            "workers": 2,
            "events": events,
            "acknowledged": len(acknowledged),
            "acknowledged_red_flags": len(red),
            "rows_stored": sum(stored.values()),
            "acknowledged_missing": len(missing),
            "duplicated_keys": len(duplicated),
            "red_flags_not_alerted_exactly_once": len(red_not_once),
            "clients_gave_up": gave_up[0],
            "reminders_due": reminded + unreminded,
            "reminders_marked_sent": reminded,
            "reminders_left_unsent": unreminded,
            "reminder_outbox_rows": reminder_rows,
            "reminder_messages_delivered": reminders_delivered,
            "patients_with_reminder_count_mismatch": sum(
                1
                for e in set(per_patient_expected) | set(per_patient_delivered)
                if per_patient_expected[e] != per_patient_delivered[e]
            ),
            "emergencies_seeded": len(seeded),
            "emergencies_escalated": sum(1 for _, done in seeded if done),
            "emergencies_not_mailed_exactly_once": sum(1 for n in escalations_per_alert.values() if n != 1),
            "outbox_unsent": outbox_unsent,
            "job_runs_failed": jobs_failed,
            "settle_seconds": round(settle_s, 1),
        }
    finally:
        for worker in workers:
            if worker.process is not None and worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGKILL)
        if nginx is not None:
            nginx.stop()
        for node in nodes:
            node.stop()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def ok(result: dict[str, Any]) -> bool:
    """Whether the run kept every promise (the counts that must be zero are zero, and work was done)."""
    zero = (
        "acknowledged_missing", "duplicated_keys", "red_flags_not_alerted_exactly_once", "reminders_left_unsent",
        "patients_with_reminder_count_mismatch", "emergencies_not_mailed_exactly_once", "outbox_unsent",
    )  # fmt: skip
    return (
        all(result[k] == 0 for k in zero)
        and result["reminders_marked_sent"]
        == result["reminder_outbox_rows"]
        == result["reminder_messages_delivered"]
        and result["emergencies_escalated"] == result["emergencies_seeded"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=90.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 400 or not 10 <= args.seconds <= 600:
        parser.error("--clients must be 1..400 and --seconds 10..600")
    reason = available()
    if reason:
        sys.exit(f"multinode: {reason}")
    result = run(args.clients, args.seconds)
    write_result("multinode", result)
    sys.exit(0 if ok(result) else 1)


if __name__ == "__main__":
    main()
