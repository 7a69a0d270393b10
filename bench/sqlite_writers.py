"""SQLite under concurrency (security.md #11): N concurrent writers for S seconds, 0 "database is locked".

Starts gunicorn on 127.0.0.1 against a fresh SQLite file, logs in N patients, and has each
one read their own record through the API in a loop. Every such read appends a row to the
audit log inside its own write transaction, so N clients are N concurrent writers. Counts
errors, 5xx responses and "database is locked" lines in the server log, then stops by itself.

    .venv/bin/python bench/sqlite_writers.py --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # run as a script or loaded by the tests
from harness import Server, Session, instance_env, prepare_instance, write_result  # noqa: E402


def run(clients: int, seconds: float, workers: int = 4, threads: int = 8) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ketacare-bench-") as tmp:
        data_dir = Path(tmp)
        env = instance_env(data_dir)
        patient_ids = prepare_instance(env, patients=clients, prefix="writer")
        log_path = data_dir / "server.log"
        server = Server(env, log_path, workers=workers, threads=threads)
        server.start()
        try:
            sessions = [Session(server.base, f"writer{i}@bench.invalid") for i in range(clients)]
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
            server.stop()
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
    write_result("sqlite_writers", result)
    if result["status_5xx"] or result["client_errors"] or result["database_is_locked"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
