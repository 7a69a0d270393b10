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
import http.client
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # run as a script or loaded by the tests
from harness import Server, Session, instance_env, prepare_instance, write_result  # noqa: E402

PATIENTS = 50


def run(clients: int, seconds: float, seed: int = 1, min_kills: int = 2) -> dict[str, object]:
    rng = random.Random(seed)  # noqa: S311 - load pattern, not security
    with tempfile.TemporaryDirectory(prefix="ketacare-crash-") as tmp:
        data_dir = Path(tmp)
        env = instance_env(data_dir)
        patients = min(PATIENTS, clients)
        prepare_instance(env, patients=patients, prefix="crash")
        server = Server(env, data_dir / "server.log")
        server.start()
        base = server.base
        sessions = [Session(base, f"crash{i}@bench.invalid") for i in range(patients)]
        acknowledged: list[tuple[str, str, bool]] = []  # (key, public_id, red flag)
        gave_up = [0]
        lock = threading.Lock()
        # A restart takes seconds on a loaded machine, so the run goes on past `seconds` until the
        # server has been killed `min_kills` times (within a hard limit of four times `seconds`).
        started = time.monotonic()
        deadline = started + seconds
        hard_deadline = started + 4 * seconds
        kills = [0]

        def running(margin_s: float = 0.0) -> bool:
            now = time.monotonic()
            return now < hard_deadline and (now < deadline - margin_s or kills[0] < min_kills)

        def client(index: int) -> None:
            local_rng = random.Random(seed * 1000 + index)  # noqa: S311
            session = sessions[index % patients]
            while running():
                key = uuid.uuid4().hex
                red = local_rng.random() < 0.2
                body = {
                    "idempotency_key": key,
                    "mood": local_rng.randint(0, 10),
                    "reports": [{"symptom_id": "chest_pain" if red else "nausea", "severity": "mild"}],
                }
                for _attempt in range(20):
                    try:
                        status, payload = session.post_json("/api/v1/me/checkins", body)
                    except (OSError, http.client.HTTPException):
                        # Server down, or killed mid-response: no answer, so retry the same key.
                        time.sleep(0.2)
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
            while running(margin_s=2):
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
    write_result("crash_reconcile", result)
    bad = result["acknowledged_missing"] or result["duplicated_keys"] or result["red_flags_without_alert"]
    sys.exit(1 if bad or result["sqlite_integrity"] != "ok" else 0)


if __name__ == "__main__":
    main()
