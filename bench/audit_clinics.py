"""Do two clinics' audited requests wait for each other? PostgreSQL, the audit write path as requests use it.

Every audited request writes its `AccessEvent` row inside its own transaction. The former chain
(docs/decisions/0015) took one `pg_advisory_xact_lock` for the whole installation before that row,
held until the request committed, so a slow request of clinic A held up every audited request of
clinic B. The sealer (docs/decisions/0016) writes the row with a plain INSERT and chains it after
commit. This benchmark runs both against a throwaway PostgreSQL database:

- ``hold``: a request of clinic A writes its audit row and keeps its transaction open for
  ``--hold-seconds`` (a slow page, a long write); meanwhile clinic B makes ``--requests`` audited
  requests one after the other. Reported: B's latency (median, max) and how many of B's requests
  finished while A's was still open.
- ``throughput``: ``--threads`` clients split over two clinics make audited requests (each a
  transaction with its audit row and one more write, committed) for ``--seconds``; requests/s.

Each scenario runs in two modes: ``sealer`` (today's code path: ``record_access_event`` in the
transaction) and ``global_lock`` (the same, after taking the single advisory lock the former chain
took, to show what it cost). Results: bench/results/audit_clinics.json.

    .venv/bin/python bench/audit_clinics.py
    .venv/bin/python bench/audit_clinics.py --hold-seconds 2 --requests 20 --threads 8 --seconds 5

The PostgreSQL URL comes from KETACARE_BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres); a database ``ketacare_auditb_<pid>`` is created and
dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import migrated  # noqa: E402 - bench/migrated.py, beside this script

RESULTS = ROOT / "bench" / "results" / "audit_clinics.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
# The key the former chain locked on for every audited request (any constant shows the effect).
FORMER_CHAIN_LOCK = 424242


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from ketacare.accounts.models import User
    from ketacare.audit.services import record_access_event
    from ketacare.clinics.models import Clinic, StaffMembership

    call_command("migrate", verbosity=0)
    clinics, users = [], []
    for name in ("A", "B"):
        clinic = Clinic.objects.create(name=f"Clinic {name}", time_zone="UTC", phone="+1 555 0100")
        user = User.objects.create_user(f"staff.{name.lower()}@example.org", None, full_name=f"Staff {name}")
        StaffMembership.objects.create(user=user, clinic=clinic, role="prescriber")
        clinics.append(clinic)
        users.append(user)
    connection.close()

    def audited(mode: str, who: int, hold_s: float = 0.0) -> None:
        with transaction.atomic():
            if mode == "global_lock":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FORMER_CHAIN_LOCK])
            record_access_event(
                user=users[who], clinic=clinics[who], action="write", outcome="granted", object_type="bench"
            )
            # The request's own write, in the same transaction.
            record_access_event(
                user=users[who], clinic=clinics[who], action="read", outcome="granted", object_type="bench"
            )
            if hold_s:
                time.sleep(hold_s)

    def hold(mode: str) -> dict[str, Any]:
        started = threading.Event()
        done_at: list[float] = []

        def slow_a() -> None:
            try:
                started.set()
                audited(mode, 0, hold_s=args.hold_seconds)
                done_at.append(time.perf_counter())
            finally:
                connection.close()

        thread = threading.Thread(target=slow_a)
        thread.start()
        started.wait()
        time.sleep(0.1)  # A has written its row and holds its transaction
        latencies, finished_at = [], []
        for _ in range(args.requests):
            t = time.perf_counter()
            audited(mode, 1)
            finished_at.append(time.perf_counter())
            latencies.append(finished_at[-1] - t)
        thread.join()
        connection.close()
        a_done = done_at[0]
        return {
            "b_requests": len(latencies),
            "b_latency_median_ms": round(statistics.median(latencies) * 1000, 2),
            "b_latency_max_ms": round(max(latencies) * 1000, 2),
            "b_finished_while_a_open": sum(1 for f in finished_at if f < a_done),
        }

    def throughput(mode: str) -> dict[str, Any]:
        stop_at = time.perf_counter() + args.seconds
        counts = [0] * args.threads

        def client(i: int) -> None:
            try:
                while time.perf_counter() < stop_at:
                    audited(mode, i % 2)
                    counts[i] += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.threads)]
        t = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - t
        return {
            "threads": args.threads,
            "requests": sum(counts),
            "requests_per_s": round(sum(counts) / elapsed, 1),
        }

    results: dict[str, Any] = {}
    for mode in ("sealer", "global_lock"):
        results[mode] = {"hold": hold(mode), "throughput": throughput(mode)}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hold-seconds", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.hold_seconds <= 30 or not 1 <= args.requests <= 1000:
        parser.error("--hold-seconds must be in (0, 30] and --requests in [1, 1000]")
    if not 1 <= args.threads <= 64 or not 0 < args.seconds <= 120:
        parser.error("--threads must be in [1, 64] and --seconds in (0, 120]")
    if args.child:
        print(json.dumps(child(args)))
        return 0

    import psycopg

    base = os.environ.get("KETACARE_BENCH_POSTGRES_URL", DEFAULT_PG)
    name = f"ketacare_auditb_{os.getpid()}"
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"audit_clinics: PostgreSQL unreachable at {base} ({exc})", file=sys.stderr)
        return 1
    # Created migrated (bench/migrated.py): the child's `migrate` finds nothing to apply.
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated.postgres_template(base)}"')
    try:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        with tempfile.TemporaryDirectory() as data_dir:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_"))
            }
            env.update(
                DATABASE_URL=url,
                DJANGO_SETTINGS_MODULE="ketacare.settings",
                KETACARE_DATA_DIR=data_dir,
                KETACARE_HTTPS="false",
                PYTHONPATH=str(ROOT),
            )
            argv = [sys.executable, __file__, "--child"]
            for flag in ("hold_seconds", "requests", "threads", "seconds"):
                argv += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            print(done.stderr[-4000:], file=sys.stderr)
            return 1
        results = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    report = {
        "benchmark": "audit_clinics",
        "command": " ".join(["bench/audit_clinics.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_1m": round(os.getloadavg()[0], 2),
        "hold_seconds": args.hold_seconds,
        **results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
