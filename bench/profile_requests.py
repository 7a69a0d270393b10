"""Where a request's time goes: the http_ratio workloads through Django's test client, under cProfile.

Seeds a fresh SQLite database (or DATABASE_URL's) as bench/http_ratio.py does, warms each page, then
prints per workload the milliseconds per request, its SQL statements and the functions that took the
most time (cumulative and own). No server, no wrk: one thread, so the figures are the request's own
CPU and database time, without queuing.

    .venv/bin/python bench/profile_requests.py                      # every workload, 200 requests each
    .venv/bin/python bench/profile_requests.py --workloads inbox --requests 100 --top 40
    .venv/bin/python bench/profile_requests.py --workloads runsheet --requests 1 --top 0 --stacks
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ("checkin", "home", "inbox", "patients", "runsheet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--requests", type=int, default=200, help="requests per workload (default 200)")
    parser.add_argument("--patients", type=int, default=60, help="patients in the listed clinic (default 60)")
    parser.add_argument("--top", type=int, default=25, help="functions listed per workload (default 25)")
    parser.add_argument("--time-only", action="store_true", help="milliseconds a request, no profile")
    parser.add_argument(
        "--stacks", action="store_true", help="print where in KetaCare's code each SQL statement comes from"
    )
    parser.add_argument("--dump", default="", help="also write each profile to DUMP.<workload>.prof (pstats)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="ketacare-profile-")
    os.environ.update(
        KETACARE_DATA_DIR=tmp, KETACARE_HTTPS="false", KETACARE_PLAIN_STATIC="true", KETACARE_DEBUG="false"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["KETACARE_SQLITE_PATH"] = str(Path(tmp) / "ketacare.sqlite3")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from http_ratio import setup_child  # seeds exactly what the HTTP benchmark measures

    info = setup_child(args.patients)
    import logging

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    logging.getLogger("ketacare.access").setLevel(logging.WARNING)  # one line a request, not the subject

    patient, staff = Client(), Client()
    patient.cookies[settings.SESSION_COOKIE_NAME] = info["patient_session"]
    staff.cookies[settings.SESSION_COOKIE_NAME] = info["staff_session"]

    def checkin() -> Any:
        body = {"idempotency_key": uuid.uuid4().hex, "reports": [{"symptom_id": "nausea"}], "mood": 5}
        return patient.post("/api/v1/me/checkins", json.dumps(body), content_type="application/json")

    calls = {
        "checkin": checkin,
        "home": lambda: patient.get("/me/"),
        "inbox": lambda: staff.get("/clinic/alerts/"),
        "patients": lambda: staff.get("/clinic/patients/"),
        "runsheet": lambda: staff.get(info["run_sheet"]),
    }
    for name in args.workloads:
        call = calls[name]
        for _ in range(5):
            assert call().status_code < 300, name
        captured: list[str] = []

        def spy(
            execute: Any, sql: str, params: Any, many: bool, context: Any, captured: list[str] = captured
        ) -> Any:
            shown = sql
            if args.stacks:
                # The innermost KetaCare frames: which selector or view asked for this statement.
                frames = [
                    f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack()
                    if str(ROOT / "ketacare") in f.filename
                ]
                shown += "\n        <- " + "\n           ".join(reversed(frames[-3:]))
            captured.append(shown)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(spy):
            call()
        if args.time_only:
            # CPU time as well as wall time: on a shared machine the wall time is mostly the load.
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                call()
            per_request_ms = (time.perf_counter() - started) * 1000 / args.requests
            cpu_ms = (time.process_time() - cpu_started) * 1000 / args.requests
            print(
                f"{name:9s} {per_request_ms:6.2f} ms a request ({cpu_ms:6.2f} ms CPU), "
                f"{len(captured)} SQL statements"
            )
            continue
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        per_request_ms = (time.perf_counter() - started) * 1000 / args.requests
        print(f"\n=== {name}: {per_request_ms:.2f} ms a request (profiled), {len(captured)} SQL statements")
        for sql in captured:
            head, _, where = sql.partition("\n")
            print("   ", head[:150] + ("\n" + where if where else ""))
        if args.dump:
            profiler.dump_stats(f"{args.dump}.{name}.prof")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
